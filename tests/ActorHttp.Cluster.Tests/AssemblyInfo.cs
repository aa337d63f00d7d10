using Xunit;

// Cluster tests start several actor systems, node processes and timers each; run one class at a time so they do not
// compete for the CPU with each other (the core test assembly may still run alongside).
[assembly: CollectionBehavior(DisableTestParallelization = true)]
