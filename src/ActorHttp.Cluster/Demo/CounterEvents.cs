namespace ActorHttp.Cluster.Demo;

/// <summary>
/// What happened to a <see cref="CounterEntity"/>: its journal. Serialized by
/// <see cref="Serialization.DurableEntitySerializer"/> in a versioned format (tests pin the bytes of version 1).
/// </summary>
public abstract record CounterEvent
{
    private CounterEvent() { }

    /// <summary>A POST added one.</summary>
    public sealed record Incremented : CounterEvent
    {
        /// <summary>The one instance: the event carries nothing.</summary>
        public static readonly Incremented Instance = new();
    }

    /// <summary>A DELETE set it back to 0.</summary>
    public sealed record Reset : CounterEvent
    {
        /// <summary>The one instance: the event carries nothing.</summary>
        public static readonly Reset Instance = new();
    }
}

/// <summary>A <see cref="CounterEntity"/>'s state, as its snapshots hold it.</summary>
public sealed record CounterState(long Value)
{
    /// <summary>0.</summary>
    public static readonly CounterState Zero = new(0);
}
