using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ActorHttp.Hosting.Tests;

/// <summary>An ILoggerProvider that keeps every message, and lets a test await one.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, string Message)> _entries = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _waiters = [];
    private readonly object _lock = new();

    public IReadOnlyCollection<(string Category, string Message)> Entries => _entries;

    /// <summary>Completes with the first message (logged before or after the call) that <paramref name="match"/> accepts.</summary>
    public Task<string> WaitForAsync(Func<string, bool> match, TimeSpan timeout)
    {
        lock (_lock)
        {
            foreach (var (_, message) in _entries)
                if (match(message)) return Task.FromResult(message);
            var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, seen));
            return seen.Task.WaitAsync(timeout);
        }
    }

    private void Add(string category, string message)
    {
        lock (_lock)
        {
            _entries.Enqueue((category, message));
            foreach (var waiter in _waiters.Where(w => w.Match(message)).ToList())
            {
                waiter.Seen.TrySetResult(message);
                _waiters.Remove(waiter);
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            capture.Add(category, formatter(state, exception));
    }
}
