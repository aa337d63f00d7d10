// Kestrel+Ask (--ask): what an Akka.NET team writes today without ActorHttp. Kestrel serves HTTP as in the plain
// yardstick; /plaintext Asks ONE shared actor of an ActorSystem in the same process for the body (a temporary reply
// actor and a task per request, as Ask does) and writes the reply. Every other path is the plain yardstick's.
// Only this file touches Akka: without --ask the Akka assemblies are never loaded and nothing here runs.

using Akka.Actor;
using Akka.Configuration;

static class AskMode
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>Starts the ActorSystem and its body actor; /plaintext (GET, HEAD) goes to it from now on.</summary>
    public static void Use(WebApplication app)
    {
        var system = ActorSystem.Create("kestrel-ask", ConfigurationFactory.ParseString(
            "akka { loglevel = WARNING, stdout-loglevel = WARNING, log-dead-letters = 0, log-dead-letters-during-shutdown = off }"));
        var body = system.ActorOf(Props.Create<BodyActor>(), "plaintext");
        app.Lifetime.ApplicationStopped.Register(() => system.Terminate().Wait(TimeSpan.FromSeconds(5)));
        app.Use((ctx, next) =>
        {
            var req = ctx.Request;
            return req.Path.Value == "/plaintext" && (HttpMethods.IsGet(req.Method) || HttpMethods.IsHead(req.Method))
                ? Plaintext(ctx.Response, body)
                : next(ctx);
        });
    }

    private static async Task Plaintext(HttpResponse res, IActorRef body)
    {
        var bytes = await body.Ask<byte[]>(GetBody.Instance, Timeout);
        res.StatusCode = StatusCodes.Status200OK;
        res.Headers.ContentType = Payloads.TextPlain;
        res.ContentLength = bytes.Length;
        await res.BodyWriter.WriteAsync(bytes);
    }

    private sealed class GetBody
    {
        public static readonly GetBody Instance = new();
    }

    /// <summary>The shared actor: answers every request with the 13-byte body.</summary>
    private sealed class BodyActor : ReceiveActor
    {
        public BodyActor() => Receive<GetBody>(_ => Sender.Tell(Payloads.HelloWorld));
    }
}
