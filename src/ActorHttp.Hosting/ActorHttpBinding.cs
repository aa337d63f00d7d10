using Akka.Actor;
using ActorHttp.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ActorHttp.Hosting;

/// <summary>
/// The hosted server's binding, once <c>WithActorHttp</c> has bound it: its URL and port (the chosen one when the port
/// is 0), its connection counts, and <see cref="ServerBinding.TerminateAsync"/>. Get it with
/// <see cref="ActorHttpBinding.For"/>, or inject it after <see cref="ActorHttpServiceCollectionExtensions.AddActorHttpBinding"/>.
/// </summary>
public interface IActorHttpBinding
{
    /// <summary>The binding, or null until the server is bound.</summary>
    ServerBinding? Current { get; }

    /// <summary>
    /// Completes with the binding once the server is bound; fails if binding failed or the actor system terminated first.
    /// </summary>
    Task<ServerBinding> GetAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// The <see cref="IActorHttpBinding"/> of one actor system, kept as an Akka extension so that it can be reached from the
/// actor system alone (an <see cref="ActorSystem"/> is what Akka.Hosting injects everywhere).
/// </summary>
public sealed class ActorHttpBinding : IActorHttpBinding, IExtension
{
    private readonly TaskCompletionSource<ServerBinding> _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _terminated;

    /// <summary>Created by <see cref="For"/>.</summary>
    public ActorHttpBinding(ActorSystem system) =>
        system.WhenTerminated.ContinueWith(_ => _bound.TrySetException(new InvalidOperationException("the actor system terminated before ActorHttp was bound")),
            TaskScheduler.Default);

    /// <summary>The binding of <paramref name="system"/>'s hosted server.</summary>
    public static IActorHttpBinding For(ActorSystem system) => Get(system);

    internal static ActorHttpBinding Get(ActorSystem system) => system.WithExtension<ActorHttpBinding, ActorHttpBindingProvider>();

    /// <inheritdoc />
    public ServerBinding? Current => _bound.Task.IsCompletedSuccessfully ? _bound.Task.Result : null;

    /// <inheritdoc />
    public Task<ServerBinding> GetAsync(CancellationToken cancellationToken = default) => _bound.Task.WaitAsync(cancellationToken);

    /// <summary>Whether the bound server has terminated (its port released).</summary>
    internal bool Terminated => _terminated;

    internal void Bound(ServerBinding binding)
    {
        binding.OnTerminated(() =>
        {
            _terminated = true;
            return Task.CompletedTask;
        });
        _bound.TrySetResult(binding);
    }

    internal void Failed(Exception cause) => _bound.TrySetException(cause);
}

/// <summary>Creates the <see cref="ActorHttpBinding"/> extension.</summary>
public sealed class ActorHttpBindingProvider : ExtensionIdProvider<ActorHttpBinding>
{
    /// <inheritdoc />
    public override ActorHttpBinding CreateExtension(ExtendedActorSystem system) => new(system);
}

/// <summary>Service registrations for hosted ActorHttp.</summary>
public static class ActorHttpServiceCollectionExtensions
{
    /// <summary>
    /// Makes <see cref="IActorHttpBinding"/> injectable. A separate call because Akka.Hosting runs the <c>AddAkka</c>
    /// callback (and so <c>WithActorHttp</c>) after the service container is built, when services can no longer be added.
    /// </summary>
    public static IServiceCollection AddActorHttpBinding(this IServiceCollection services)
    {
        services.TryAddSingleton<IActorHttpBinding>(provider => ActorHttpBinding.For(provider.GetRequiredService<ActorSystem>()));
        return services;
    }
}
