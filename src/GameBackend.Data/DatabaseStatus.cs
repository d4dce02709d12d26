namespace GameBackend.Data;

/// <summary>
/// Whether this node's schema is current, as the migration loop last found it. The server starts
/// and serves play while PostgreSQL is down (history spills, logins answer 503); this is what
/// readiness and the endpoints that need the schema look at meanwhile.
/// </summary>
public sealed class DatabaseStatus
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile string? _problem = "migrations have not run yet";

    /// <summary>True once the migrations have run on this node (or are switched off).</summary>
    public bool SchemaReady => _ready.Task.IsCompleted;

    /// <summary>Why the schema is not ready yet (the last migration error), or null once it is.</summary>
    public string? Problem => SchemaReady ? null : _problem;

    /// <summary>Completes when the schema becomes ready; never faults.</summary>
    public Task WhenSchemaReady => _ready.Task;

    internal void MigrationFailed(string reason) => _problem = reason;

    internal void SchemaCurrent() => _ready.TrySetResult();
}
