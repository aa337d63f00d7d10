using System.Text;
using Akka.Actor;
using Akka.IO;
using ActorHttp.Handlers;
using ActorHttp.Protocol;
using ActorHttp.Server;
using ActorHttp.Testing;
using Xunit;
using TestKit = Akka.TestKit.Xunit2.TestKit;

namespace ActorHttp.Tests.Handlers;

/// <summary>Streaming handlers tested with the test kit, which plays the connection's part (acks, body parts).</summary>
[Trait("Category", "Handlers")]
public sealed class StreamingHandlerTests : TestKit
{
    /// <summary>Streams "one", "two", "three" (or fails after "one" for <c>/fail</c>).</summary>
    private sealed class WordsHandler : HttpHandlerActor
    {
        protected override void OnRequest(HttpRequest request) =>
            RespondWithStream(HttpResponse.StreamedHead(contentType: "text/plain"), Words(request.Path == "/fail"));

        private static async IAsyncEnumerable<ByteString> Words(bool fail)
        {
            yield return ByteString.FromString("one");
            await Task.Yield();
            if (fail) throw new InvalidOperationException("source broke (expected by the test)");
            yield return ByteString.FromString("two");
            yield return ByteString.FromString("three");
        }
    }

    /// <summary>Serves a 100,000-byte stream through <see cref="ResponseStreams.FromStream"/>, with its length.</summary>
    private sealed class FileLikeHandler : HttpHandlerActor
    {
        protected override void OnRequest(HttpRequest request) =>
            RespondWithStream(HttpResponse.StreamedHead(contentType: "application/octet-stream"), new MemoryStream(new byte[100_000]), 100_000);
    }

    [Fact]
    public void A_streamed_response_arrives_chunk_by_chunk()
    {
        var handler = Sys.ActorOf(Props.Create<WordsHandler>());
        this.SendStreamed(handler, HttpRequests.Get("/words"))
            .ShouldHaveChunks(3)
            .ShouldHaveBody("onetwothree");
        this.Send(handler, HttpRequests.Get("/words")).ShouldBeStreamed().ShouldHaveHeader("Content-Type", "text/plain").ShouldHaveBody("onetwothree");
    }

    [Fact]
    public void A_stream_read_from_a_Stream_is_cut_into_64_KB_pieces_with_its_length()
    {
        var response = this.SendStreamed(Sys.ActorOf(Props.Create<FileLikeHandler>()), HttpRequests.Get("/file"));
        Assert.Equal(100_000, response.Head.ContentLength);
        Assert.Equal([65536, 34464], response.Chunks.Select(c => c.Count));
    }

    [Fact]
    public void A_failing_source_is_reported_as_an_aborted_stream()
    {
        var error = Assert.Throws<Xunit.Sdk.XunitException>(() => this.Send(Sys.ActorOf(Props.Create<WordsHandler>()), HttpRequests.Get("/fail")));
        Assert.Contains("the stream failed after 1 chunks", error.Message);
    }

    [Fact]
    public void The_producer_stops_when_the_connection_cancels()
    {
        var head = HttpResponse.StreamedHead();
        var pulled = 0;
        var producer = ResponseStreams.Start(Sys, TestActor, head, Endless());
        Watch(producer);
        ExpectMsg<HttpResponse>(r => r.Streamed);
        ExpectMsg<ResponseStream.Chunk>();
        // No second chunk without an Ack. The source completes synchronously, so the producer pipes the second piece to
        // itself while it handles the first (right after sending it). The first Identify's answer therefore comes after
        // that, and the second Identify is handled after the second piece: a chunk sent for it would arrive before the
        // second answer. (An ExpectNoMsg would only show that none came within its window.)
        for (var i = 0; i < 2; i++)
        {
            producer.Tell(new Identify(i));
            ExpectMsg<ActorIdentity>(id => Equals(id.MessageId, i)); // fails on a Chunk
        }
        Assert.True(Volatile.Read(ref pulled) >= 2, $"the producer fetched {pulled} piece(s), not the one ahead it keeps");
        producer.Tell(ResponseStream.Ack.Instance);
        ExpectMsg<ResponseStream.Chunk>();
        producer.Tell(ResponseStream.Cancelled.Instance);
        ExpectMsg<ResponseStream.End>(); // tells a per-request wrapper the exchange is over
        ExpectTerminated(producer);

        async IAsyncEnumerable<ByteString> Endless()
        {
            for (var i = 0; ; i++)
            {
                await Task.CompletedTask; // each piece is there at once
                Interlocked.Increment(ref pulled);
                yield return ByteString.FromString($"{i}");
            }
        }
    }

    [Fact]
    public void Echo_streams_a_streamed_upload_back()
    {
        var body = string.Concat(Enumerable.Repeat("0123456789", 5000)); // 50,000 bytes: four parts
        var request = HttpRequests.Post("/echo", body, "text/csv") with { BodyStreamed = true };
        var response = this.SendStreamed(Sys.ActorOf(EchoHandler.Props()), request);
        Assert.Equal("text/csv", response.Head.ContentType);
        Assert.Equal(4, response.Chunks.Count);
        response.ShouldHaveBody(body);
    }

    [Fact]
    public void A_per_request_handler_can_stream()
    {
        var handler = Sys.ActorOf(HandlerProps.PerRequest(Props.Create<WordsHandler>()));
        for (var i = 0; i < 3; i++) this.Send(handler, HttpRequests.Get("/words")).ShouldHaveBody("onetwothree");
    }

    [Fact]
    public void RequestBodyReader_collects_a_streamed_body()
    {
        var handler = Sys.ActorOf(Props.Create(() => new CollectingHandler()));
        var body = new string('z', 40_000);
        this.Send(handler, HttpRequests.Post("/up", body) with { BodyStreamed = true }).ShouldHaveBody("40000 bytes");
    }

    private sealed class CollectingHandler : AsyncHttpHandlerActor
    {
        protected override async Task<HttpResponse> OnRequestAsync(HttpRequest request)
        {
            var body = await RequestBodyReader.ReadAllAsync(Sender, maxBytes: 1 << 20);
            return HttpResponse.Text($"{body.Count} bytes");
        }
    }

    [Fact]
    public void An_async_handler_that_throws_answers_500()
    {
        var handler = Sys.ActorOf(Props.Create<ThrowsAfterAwait>());
        this.Send(handler, HttpRequests.Get("/x")).ShouldHaveStatus(500);
        this.Send(handler, HttpRequests.Get("/x")).ShouldHaveStatus(500); // restarted, still serving
    }

    private sealed class ThrowsAfterAwait : AsyncHttpHandlerActor
    {
        protected override async Task<HttpResponse> OnRequestAsync(HttpRequest request)
        {
            await Task.Yield();
            throw new InvalidOperationException("expected by the test");
        }
    }
}
