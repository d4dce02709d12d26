using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace GameBackend.Server.Tests.Infrastructure;

/// <summary>
/// A TCP forwarder on 127.0.0.1 in front of the real PostgreSQL: while closed it accepts and at once
/// closes every connection (PostgreSQL "is down" for whoever connects through it, deterministically
/// and without stopping the shared server); <see cref="Open"/> forwards new connections from then on.
/// </summary>
public sealed class PostgresGate : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _clients = [];
    private readonly Task _acceptLoop;
    private volatile bool _open;
    private int _refused;

    public PostgresGate(string targetConnectionString)
    {
        var target = new NpgsqlConnectionStringBuilder(targetConnectionString);
        _targetHost = target.Host!;
        _targetPort = target.Port;
        _listener.Start();
        _acceptLoop = Task.Run(AcceptAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Connections closed while the gate was shut.</summary>
    public int Refused => Volatile.Read(ref _refused);

    /// <summary><paramref name="connectionString"/> with host and port pointing at this gate.</summary>
    public string Through(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Host = "127.0.0.1", Port = Port }.ConnectionString;

    /// <summary>From now on connections reach PostgreSQL.</summary>
    public void Open() => _open = true;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            if (!_open)
            {
                Interlocked.Increment(ref _refused);
                client.Dispose();
                continue;
            }

            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        var upstream = new TcpClient();
        lock (_clients)
        {
            _clients.Add(client);
            _clients.Add(upstream);
        }

        try
        {
            await upstream.ConnectAsync(_targetHost, _targetPort, _stop.Token);
            var down = client.GetStream();
            var up = upstream.GetStream();
            // Either direction ending ends both.
            await Task.WhenAny(down.CopyToAsync(up, _stop.Token), up.CopyToAsync(down, _stop.Token));
        }
        catch (Exception)
        {
            // A connection torn down by either side or by disposal; nothing to report.
        }
        finally
        {
            client.Dispose();
            upstream.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_clients)
        {
            foreach (var c in _clients)
            {
                c.Dispose();
            }
        }

        await _acceptLoop.WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }
}
