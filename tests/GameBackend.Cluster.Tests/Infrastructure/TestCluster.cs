using System.Collections.Concurrent;
using StackExchange.Redis;

namespace GameBackend.Cluster.Tests.Infrastructure;

/// <summary>
/// N real server processes forming one Orleans cluster through Redis membership, sharing the SignalR
/// Redis backplane and a fresh PostgreSQL database. Game time is real time in separate processes, so
/// spawning is made dense (a creature every few hundred ms per cell) instead of advancing a fake clock.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public const string SigningKey = "cluster-tests-signing-key-0123456789abcdef0123456789abcdef";

    private readonly ConcurrentBag<ClusterNode> _all = [];

    private TestCluster(string clusterId, ClusterDatabase database)
    {
        ClusterId = clusterId;
        Database = database;
        Router = new NodeRouter();
    }

    public static string RedisConnectionString =>
        Environment.GetEnvironmentVariable("GAMEBACKEND_REDIS") ?? "127.0.0.1:63790";

    public string ClusterId { get; }

    public ClusterDatabase Database { get; }

    /// <summary>Plays the load balancer: round robin over the nodes in rotation.</summary>
    public NodeRouter Router { get; }

    public IReadOnlyList<ClusterNode> Nodes => Router.All;

    public static async Task<TestCluster> StartAsync(string name, int nodes)
    {
        var database = await ClusterDatabase.CreateAsync("cluster_" + name);
        var cluster = new TestCluster($"cluster-{name}-{Guid.NewGuid():N}"[..32], database);
        try
        {
            var started = Enumerable.Range(0, nodes).Select(i => cluster.StartNode($"{name}-n{i}")).ToList();
            await Task.WhenAll(started.Select(n => n.WaitReadyAsync(TimeSpan.FromSeconds(60))));
            foreach (var node in started)
            {
                cluster.Router.Add(node);
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private ClusterNode StartNode(string name)
    {
        var node = ClusterNode.Start(name, new Dictionary<string, string>
        {
            ["Cluster__Mode"] = "Redis",
            ["Cluster__ClusterId"] = ClusterId,
            ["Cluster__ServiceId"] = ClusterId,
            ["Cluster__AdvertisedAddress"] = "127.0.0.1",
            // Declare a killed node dead within a few seconds instead of Orleans' default ~30 s.
            ["Cluster__Membership__ProbeTimeout"] = "00:00:01",
            ["Cluster__Membership__NumMissedProbesLimit"] = "2",
            ["ConnectionStrings__Redis"] = RedisConnectionString,
            // As deployed: the owner migrates, the nodes work as the least-privilege app role.
            ["ConnectionStrings__Postgres"] = Database.AppConnectionString,
            ["ConnectionStrings__PostgresMigrations"] = Database.ConnectionString,
            ["Identity__SigningKey"] = SigningKey,
            ["Game__Spawning__TickInterval"] = "00:00:00.100",
            ["Game__Spawning__AmbientPerSquareKm"] = "1500",
        });
        _all.Add(node);
        return node;
    }

    /// <summary>
    /// Starts a stopped or killed node again with its settings and its spill folder, as an
    /// orchestrator restarts a crashed container on the same volume. It joins as a new silo.
    /// </summary>
    public async Task<ClusterNode> RestartAsync(ClusterNode node)
    {
        var again = ClusterNode.Start(node.Name + "-again", node.Environment, node.SpillDirectory);
        _all.Add(again);
        await again.WaitReadyAsync(TimeSpan.FromSeconds(60));
        return again;
    }

    /// <summary>Every node's recent log, for assertion messages.</summary>
    public string Logs => string.Join("\n\n", _all.Select(n => $"==== {n.Name} ====\n{n.RecentLog}"));

    public async ValueTask DisposeAsync()
    {
        // Kill first (in parallel): nothing may outlive the test, and a dying node must not write to a dropped database.
        await Task.WhenAll(_all.Select(n => n.DisposeAsync().AsTask()));
        try
        {
            await Database.DisposeAsync();
        }
        finally
        {
            await DeleteRedisKeysAsync();
        }
    }

    /// <summary>Orleans membership rows live under keys naming the cluster id; remove them so Redis does not fill with dead clusters.</summary>
    private async Task DeleteRedisKeysAsync()
    {
        try
        {
            await using var redis = await ConnectionMultiplexer.ConnectAsync(RedisConnectionString);
            foreach (var endpoint in redis.GetEndPoints())
            {
                var server = redis.GetServer(endpoint);
                await foreach (var key in server.KeysAsync(pattern: $"*{ClusterId}*"))
                {
                    await redis.GetDatabase().KeyDeleteAsync(key);
                }
            }
        }
        catch (RedisException)
        {
            // Best effort; the keys are namespaced by a unique cluster id and harm nothing.
        }
    }
}

/// <summary>A sticky-less round-robin load balancer in miniature: nodes can be taken out of rotation before they stop.</summary>
public sealed class NodeRouter
{
    private readonly List<ClusterNode> _all = [];
    private readonly HashSet<ClusterNode> _out = [];
    private int _next;

    public IReadOnlyList<ClusterNode> All
    {
        get
        {
            lock (_all)
            {
                return [.. _all];
            }
        }
    }

    public IReadOnlyList<ClusterNode> InRotation
    {
        get
        {
            lock (_all)
            {
                return [.. _all.Where(n => !_out.Contains(n))];
            }
        }
    }

    public void Add(ClusterNode node)
    {
        lock (_all)
        {
            _all.Add(node);
        }
    }

    /// <summary>Like a failed readiness probe: no new connections go there.</summary>
    public void TakeOut(ClusterNode node)
    {
        lock (_all)
        {
            _out.Add(node);
        }
    }

    public ClusterNode Pick()
    {
        lock (_all)
        {
            var live = _all.Where(n => !_out.Contains(n)).ToList();
            if (live.Count == 0)
            {
                throw new InvalidOperationException("No node in rotation.");
            }

            return live[_next++ % live.Count];
        }
    }
}
