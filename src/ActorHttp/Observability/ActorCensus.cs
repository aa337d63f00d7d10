using Akka.Actor;

namespace ActorHttp.Observability;

/// <summary>How many actors live under <c>/user</c> and under <c>/system</c>, and how deep the tree is.</summary>
/// <param name="User">Actors under /user (handlers, the server's listener and connections when started by the user).</param>
/// <param name="System">Actors under /system (Akka's own, Akka.IO, cluster and sharding).</param>
/// <param name="Depth">The deepest level below /user or /system at which an actor answered.</param>
public sealed record ActorCount(int User, int System, int Depth)
{
    /// <summary>All of them.</summary>
    public int Total => User + System;
}

/// <summary>
/// Counts the live actors of a system, for leak checks (the soak benchmark, the <c>actor-census</c> route): each
/// level of the tree below /user and /system is asked, through an <see cref="ActorSelection"/> wildcard, to
/// <see cref="Identify"/> itself, and the answers are counted until none has come for a short quiet period; then
/// the next level, until a level is empty. One message per actor: a diagnostic, never on a request's path. An actor
/// busy for longer than the quiet period (a blocking handler) answers late and is not counted.
/// </summary>
public static class ActorCensus
{
    /// <summary>Counts the actors of <paramref name="system"/>; each level waits for answers until <paramref name="quiet"/> passes without one.</summary>
    public static Task<ActorCount> CountAsync(ActorSystem system, TimeSpan? quiet = null)
    {
        var result = new TaskCompletionSource<ActorCount>(TaskCreationOptions.RunContinuationsAsynchronously);
        system.ActorOf(Props.Create(() => new CensusActor(result, quiet ?? TimeSpan.FromMilliseconds(200))));
        return result.Task;
    }

    private sealed class CensusActor : ReceiveActor, IWithTimers
    {
        private const int MaxDepth = 32;

        private sealed record LevelDone(int Depth);

        private readonly TaskCompletionSource<ActorCount> _result;
        private readonly TimeSpan _quiet;
        private int _depth;
        private int _user;
        private int _system;
        private int _answeredAtLevel;

        public CensusActor(TaskCompletionSource<ActorCount> result, TimeSpan quiet)
        {
            _result = result;
            _quiet = quiet;
            Receive<ActorIdentity>(identity =>
            {
                if (!Equals(identity.MessageId, _depth) || identity.Subject is null || identity.Subject.Equals(Self)) return;
                _answeredAtLevel++;
                if (identity.Subject.Path.Elements[0] == "user") _user++;
                else _system++;
                Timers.StartSingleTimer(nameof(LevelDone), new LevelDone(_depth), _quiet); // restarts the quiet period
            });
            Receive<LevelDone>(done =>
            {
                if (done.Depth != _depth) return;
                if (_answeredAtLevel == 0 || _depth == MaxDepth) Finish();
                else AskLevel(_depth + 1);
            });
        }

        public ITimerScheduler Timers { get; set; } = null!;

        protected override void PreStart() => AskLevel(1);

        private void AskLevel(int depth)
        {
            _depth = depth;
            _answeredAtLevel = 0;
            var stars = string.Concat(Enumerable.Repeat("/*", depth));
            Context.ActorSelection("/user" + stars).Tell(new Identify(depth), Self);
            Context.ActorSelection("/system" + stars).Tell(new Identify(depth), Self);
            Timers.StartSingleTimer(nameof(LevelDone), new LevelDone(depth), _quiet);
        }

        private void Finish()
        {
            // This census actor itself lives under /user or /system: it is not counted (see the ActorIdentity filter).
            _result.TrySetResult(new ActorCount(_user, _system, _answeredAtLevel == 0 ? _depth - 1 : _depth));
            Context.Stop(Self);
        }
    }
}
