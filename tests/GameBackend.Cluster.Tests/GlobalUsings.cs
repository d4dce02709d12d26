global using GameBackend.Cluster.Tests.Infrastructure;

[assembly: CollectionBehavior(DisableTestParallelization = true)]
