using System.Net;
using Akka.Actor;
using Akka.Event;
using Akka.IO;
using ActorHttp.Observability;
using ActorHttp.Protocol.Rendering;
using ActorHttp.Server.Connection;

namespace ActorHttp.Server;

/// <summary>
/// Binds the server's address through Akka.IO and creates one <see cref="HttpConnectionActor"/> per accepted
/// socket. Counts open connections to enforce <see cref="ServerSettings.MaxConnections"/>, and drives unbinding and
/// graceful termination. Does nothing per request: accepting is its only hot path.
/// States: binding → bound (accepting, or answering 503 once unbound) → terminating (draining, then releasing the port).
/// Shutdown timers read the time from the actor's scheduler (<see cref="IWithTimers"/>); the listener keeps no clock.
/// </summary>
internal sealed class HttpListenerActor : ReceiveActor, IWithTimers
{
    private readonly ServerSettings _settings;
    private readonly IRequestRouter _router;
    private readonly TaskCompletionSource<ServerBinding> _bound;
    private readonly HttpResponseRenderer _renderer;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<IActorRef> _terminateWaiters = [];

    /// <summary>The connections open when termination began (watched): the drain is complete once none is left.</summary>
    private readonly HashSet<IActorRef> _draining = [];

    /// <summary>
    /// How long a drained listener waits, with no connection arriving, before it releases the port (never longer in all
    /// than <see cref="ServerSettings.ShutdownReleaseMaxDelay"/>).
    /// </summary>
    private static readonly TimeSpan ReleaseQuietPeriod = TimeSpan.FromMilliseconds(100);

    /// <summary>The shutdown timers; Akka cancels them when the listener stops.</summary>
    public ITimerScheduler Timers { get; set; } = null!;
    private IActorRef? _tcpListener;
    private ListenerTelemetry? _telemetry;
    private int _open;
    private bool _accepting = true;

    public HttpListenerActor(ServerSettings settings, IRequestRouter router, TaskCompletionSource<ServerBinding> bound)
    {
        _settings = settings;
        _router = router;
        _bound = bound;
        _renderer = new HttpResponseRenderer(settings.ServerHeader, settings.Clock);
        Binding();
    }

    public static Props Props(ServerSettings settings, IRequestRouter router, TaskCompletionSource<ServerBinding> bound)
    {
        var props = Akka.Actor.Props.Create(() => new HttpListenerActor(settings, router, bound));
        return string.IsNullOrEmpty(settings.Dispatcher) ? props : props.WithDispatcher(settings.Dispatcher);
    }

    /// <summary>A connection's failure is its own: it stops (its socket is aborted) and nothing else is touched.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        _log.Error(e, "connection actor failed; closing that connection");
        return Directive.Stop;
    });

    protected override void PreStart()
    {
        IPEndPoint endpoint;
        try
        {
            endpoint = _settings.ResolveEndPoint();
        }
        catch (Exception e)
        {
            Fail($"cannot listen on http://{_settings.Hostname}:{_settings.Port}: {e.Message}", e);
            return;
        }
        // The server's own frame size for its connections (io-frame-size); Akka.IO only checks that its buffer-size
        // settings are at least the frame size, so they follow it.
        var tcp = TcpSettings.Create(Context.System);
        var frame = _settings.IoFrameSize;
        var tcpSettings = tcp with
        {
            MaxFrameSizeBytes = frame,
            SendBufferSize = Math.Max(tcp.SendBufferSize, 2 * frame),
            ReceiveBufferSize = Math.Max(tcp.ReceiveBufferSize, 2 * frame),
        };
        Context.System.Tcp().Tell(new Tcp.Bind(Self, endpoint, _settings.Backlog, options: null, pullMode: true) { TcpSettings = tcpSettings });
    }

    private void Fail(string message, Exception? cause)
    {
        _bound.TrySetException(new BindFailedException(message, cause));
        Context.Stop(Self);
    }

    private void Binding()
    {
        Receive<Tcp.Bound>(bound =>
        {
            _tcpListener = Sender;
            var local = bound.LocalAddress as IPEndPoint ?? _settings.ResolveEndPoint();
            _telemetry = new ListenerTelemetry(local);
            _bound.TrySetResult(new ServerBinding(Self, local));
            Become(Bound);
        });
        Receive<Tcp.CommandFailed>(failed =>
        {
            var cause = failed.Cause.HasValue ? failed.Cause.Value : null;
            var reason = cause?.Message ?? "bind failed";
            Fail($"cannot listen on http://{_settings.Hostname}:{_settings.Port}: {reason}", cause);
        });
    }

    private void Bound()
    {
        Receive<Tcp.Connected>(connected => Accept(connected, reject: !_accepting || _open >= _settings.MaxConnections));
        Receive<ConnectionStopped>(_ => ConnectionGone());
        Receive<ListenerCommands.GetConnectionCounts>(_ => ReportCounts());
        Receive<ListenerCommands.Unbind>(_ =>
        {
            // Akka.IO's accepted connections are children of its listener: a Tcp.Unbind now would reset every
            // open connection. So stop accepting here, and release the port once the connections are done.
            _accepting = false;
            Sender.Tell(ListenerCommands.Done.Instance);
        });
        Receive<ListenerCommands.Terminate>(terminate =>
        {
            _accepting = false;
            _terminateWaiters.Add(Sender);
            foreach (var child in Context.GetChildren())
            {
                _draining.Add(child);
                Context.Watch(child);
                child.Tell(DrainConnection.Instance);
            }
            Timers.StartSingleTimer("hard-deadline", ListenerCommands.HardDeadline.Instance, terminate.Deadline);
            Become(Terminating);
            if (_draining.Count == 0) OnDrained();
            UnbindWhenDrained();
        });
    }

    private void Terminating()
    {
        // Connections that raced the shutdown are answered 503 and closed; the port stays open meanwhile (not counted
        // in the drain: a client that keeps reconnecting must not keep the port open).
        Receive<Tcp.Connected>(connected =>
        {
            Timers.Cancel(nameof(ListenerCommands.ReleasePort));
            Accept(connected, reject: true);
        });
        Receive<ListenerCommands.ReleasePort>(_ =>
        {
            if (_open == 0) Unbind();
        });
        Receive<ListenerCommands.ReleaseWaitOver>(_ => Unbind());
        Receive<Terminated>(stopped =>
        {
            if (_draining.Remove(stopped.ActorRef) && _draining.Count == 0) OnDrained();
        });
        Receive<ConnectionStopped>(_ =>
        {
            ConnectionGone();
            UnbindWhenDrained();
        });
        Receive<ListenerCommands.Unbind>(_ => Sender.Tell(ListenerCommands.Done.Instance));
        Receive<ListenerCommands.Terminate>(_ => _terminateWaiters.Add(Sender));
        Receive<ListenerCommands.GetConnectionCounts>(_ => ReportCounts());
        Receive<ListenerCommands.HardDeadline>(_ =>
        {
            if (_draining.Count == 0) return; // the release is under way (OnDrained)
            // Requests still waiting, and any arriving now, get 503 with Connection: close; then the port is released
            // (which resets whatever is still open) once the connections are done or after a last grace period.
            _log.Warning("shutdown deadline passed with {0} connection(s) still busy; answering their requests 503", _open);
            foreach (var child in Context.GetChildren()) child.Tell(ShutdownDeadlinePassed.Instance);
            Timers.StartSingleTimer("grace-over", ListenerCommands.GraceOver.Instance, _settings.LingerTimeout);
        });
        Receive<ListenerCommands.GraceOver>(_ => Unbind());
        Receive<Tcp.Unbound>(_ => FinishTermination());
    }

    private void ReportCounts() => Sender.Tell(new ConnectionCounts(_open, Context.GetChildren().Count()));

    private void ConnectionGone()
    {
        _open--;
        HttpMetrics.ActiveConnections.Add(-1, _telemetry!.Tags);
    }

    /// <summary>
    /// The in-flight requests are done: the port is released at the latest <see cref="ServerSettings.ShutdownReleaseMaxDelay"/>
    /// from now, whatever new clients do (a connection still open then is reset with it).
    /// </summary>
    private void OnDrained() =>
        Timers.StartSingleTimer(nameof(ListenerCommands.ReleaseWaitOver), ListenerCommands.ReleaseWaitOver.Instance, _settings.ShutdownReleaseMaxDelay);

    /// <summary>
    /// Once no connection is open, releases the port after <see cref="ReleaseQuietPeriod"/> without a new one. Closing
    /// the port resets the connections still in the kernel's accept queue: a client that reconnects the moment its last
    /// response closed its connection gets a 503 with Retry-After from the listener instead.
    /// </summary>
    private void UnbindWhenDrained()
    {
        if (_open == 0) Timers.StartSingleTimer(nameof(ListenerCommands.ReleasePort), ListenerCommands.ReleasePort.Instance, ReleaseQuietPeriod);
    }

    private void Unbind()
    {
        if (_tcpListener == null) return;
        _tcpListener.Tell(Tcp.Unbind.Instance);
        _tcpListener = null;
        // Unbound normally follows at once; if the transport is gone, finish anyway.
        Timers.StartSingleTimer("unbound-fallback", Tcp.Unbound.Instance, TimeSpan.FromSeconds(5));
    }

    private void Accept(Tcp.Connected connected, bool reject)
    {
        _open++;
        HttpMetrics.ActiveConnections.Add(1, _telemetry!.Tags);
        if (reject)
        {
            HttpMetrics.RejectedConnections.Add(1, _telemetry.Tags);
            if (_settings.LogRequests) _log.Debug("over max-connections ({0}): answering 503", _settings.MaxConnections);
        }
        var connection = Context.ActorOf(HttpConnectionActor.Props(Sender, connected.RemoteAddress, _settings, _router, _renderer, _telemetry, reject));
        Sender.Tell(new Tcp.Register(connection, keepOpenOnPeerClosed: true, useResumeWriting: false));
        // Pull mode: the first read, asked from here so it reaches the transport after the Register (a ResumeReading
        // before it would be lost); the connection asks each next one (see HttpConnectionActor._readRequested).
        Sender.Tell(Tcp.ResumeReading.Instance);
        if (reject) connection.Tell(RejectOverCapacity.Instance);
    }

    private void FinishTermination()
    {
        foreach (var waiter in _terminateWaiters) waiter.Tell(ListenerCommands.Done.Instance);
        _terminateWaiters.Clear();
        Context.Stop(Self); // stops any connection actor still open (its socket is gone with the Akka.IO listener)
    }
}
