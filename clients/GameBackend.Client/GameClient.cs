using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using GameBackend.Contracts;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GameBackend.Client;

/// <summary>
/// A player's connection to a GameBackend server: guest login, the game hub over JSON or
/// MessagePack, typed events, and reconnection that survives server restarts.
/// </summary>
/// <remarks>
/// Calls made while the client is reconnecting wait for the connection (bound them with the
/// cancellation token). After every reconnect the client re-sends the last position with a new
/// sequence number and the current time, refreshes the nearby view (raising
/// <see cref="NearbyChanged"/>), and only then raises <see cref="Reconnected"/>. Event handlers run
/// on SignalR's threads; an exception thrown by a handler is logged and swallowed.
/// </remarks>
public sealed partial class GameClient : IAsyncDisposable
{
    private static readonly JsonSerializerOptions LoginJson = new(JsonSerializerDefaults.Web);

    // Pause between retries of an invocation whose connection just failed, so that the retry waits
    // for SignalR to notice the loss instead of spinning on the dead connection.
    private static readonly TimeSpan TransportRetryPause = TimeSpan.FromMilliseconds(100);

    // HubConnection's message for a close frame that carries an error.
    private const string ServerClosedPrefix = "The server closed the connection with the following error:";

    // A throw whose connection keeps dying is probably killing it (e.g. an oversized message); stop then.
    private const int MaxCaptureRetries = 3;

    private readonly GameClientOptions _options;
    private readonly Uri _serverUrl;
    private readonly BackoffRetryPolicy _backoff;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private readonly Lock _stateLock = new();

    private LoginResponse? _login;
    private string? _deviceSecret;
    private HubConnection? _connection;
    private CancellationTokenSource? _session;
    private Exception? _permanentFailure;
    private GameClientState _state = GameClientState.Disconnected;

    // Completed whenever the state is Connected or Disconnected; replaced by a fresh one while
    // connecting or reconnecting, so that callers can wait for the outcome.
    private TaskCompletionSource _settled = NewSignal(completed: true);
    private LocationUpdate? _lastPosition;
    private IReadOnlyList<NearbyCreature> _nearby = [];
    private long _seq;
    private bool _disposed;

    /// <summary>Creates a client; nothing is sent until <see cref="LoginAsync"/> or <see cref="ConnectAsync"/>.</summary>
    /// <param name="options">Settings; <see cref="GameClientOptions.ServerUrl"/> and <see cref="GameClientOptions.DeviceId"/> are required.</param>
    public GameClient(GameClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ServerUrl is not { IsAbsoluteUri: true } serverUrl)
        {
            throw new ArgumentException("ServerUrl must be an absolute URL.", nameof(options));
        }

        if (string.IsNullOrWhiteSpace(options.DeviceId))
        {
            throw new ArgumentException("DeviceId is required.", nameof(options));
        }

        _options = options;
        _deviceSecret = options.DeviceSecret;
        _serverUrl = serverUrl;
        _backoff = new BackoffRetryPolicy(options.ReconnectDelays, options.ReconnectJitter);
        _time = options.TimeProvider ?? TimeProvider.System;
        _logger = options.LoggerFactory?.CreateLogger<GameClient>() ?? NullLogger<GameClient>.Instance;
        HttpMessageHandler handler = options.HttpMessageHandler is { } shared ? new SharedHandler(shared) : new SocketsHttpHandler();
        _http = new HttpClient(handler) { BaseAddress = serverUrl, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>
    /// The nearby view changed: raised after an accepted location ack that carries a list (the server
    /// sends one only when the set of creatures in sight changed), every <see cref="GetNearbyAsync"/>
    /// and every reconnect. Creatures are nearest first; distances and bearings are as of the fix that
    /// produced the list (recompute them from your own position between lists).
    /// </summary>
    public event Action<IReadOnlyList<NearbyCreature>>? NearbyChanged;

    /// <summary>A creature appeared in a cell this player can see.</summary>
    public event Action<CreatureSpawned>? CreatureSpawned;

    /// <summary>A creature this player could see left the map (expired, captured or excluded).</summary>
    public event Action<CreatureDespawned>? CreatureDespawned;

    /// <summary>Someone won the capture race for a creature this player could see.</summary>
    public event Action<CreatureCaptured>? CreatureCaptured;

    /// <summary>A fix sent with <see cref="StreamLocationAsync"/> was rejected (see <see cref="RejectReasons"/>).</summary>
    public event Action<LocationRejected>? LocationRejected;

    /// <summary>The connection was lost and the client started reconnecting; carries the error, if any.</summary>
    public event Action<Exception?>? Reconnecting;

    /// <summary>The client reconnected and re-synchronised (last position re-sent, nearby view refreshed).</summary>
    public event Action? Reconnected;

    /// <summary>
    /// The client stopped for good: after <see cref="DisconnectAsync"/> (error null) or after a
    /// permanent failure such as a login refused with 4xx (error set).
    /// </summary>
    public event Action<Exception?>? Disconnected;

    /// <summary>The logged-in player's id; null before the first login.</summary>
    public string? PlayerId => Volatile.Read(ref _login)?.PlayerId;

    /// <summary>
    /// The secret that proves this device: <see cref="GameClientOptions.DeviceSecret"/>, or the one the
    /// server returned at the device's first login. Store it with the device id; every later login
    /// (also in a new process) needs it, and the server shows it only once.
    /// </summary>
    public string? DeviceSecret => Volatile.Read(ref _deviceSecret);

    /// <summary>Where the client stands.</summary>
    public GameClientState State
    {
        get
        {
            lock (_stateLock)
            {
                return _state;
            }
        }
    }

    /// <summary>The last nearby view received (nearest first); empty before the first one.</summary>
    public IReadOnlyList<NearbyCreature> Nearby => Volatile.Read(ref _nearby);

    /// <summary>The last position sent and not rejected; this is what a reconnect re-sends.</summary>
    public LocationUpdate? LastPosition => Volatile.Read(ref _lastPosition);

    /// <summary>Logs in as a guest with <see cref="GameClientOptions.DeviceId"/> (<c>POST /api/players/login</c>).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The player id, token and token expiry.</returns>
    /// <exception cref="GameClientException">The server refused the login; the message carries its problem details.</exception>
    public async Task<LoginResponse> LoginAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var request = new GuestLogin { DeviceId = _options.DeviceId, DisplayName = _options.DisplayName, DeviceSecret = DeviceSecret };
        using var response = await _http.PostAsJsonAsync("/api/players/login", request, LoginJson, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new GameClientException(
                $"Login failed with {(int)response.StatusCode} {response.StatusCode}: {DescribeProblem(body)}", response.StatusCode);
        }

        var answer = await response.Content.ReadFromJsonAsync<GuestLoginAnswer>(LoginJson, cancellationToken).ConfigureAwait(false)
            ?? throw new GameClientException("Login answered with an empty body.");
        if (answer.DeviceSecret is not null)
        {
            Volatile.Write(ref _deviceSecret, answer.DeviceSecret);
        }

        var login = new LoginResponse { PlayerId = answer.PlayerId, Token = answer.Token, ExpiresAt = answer.ExpiresAt };
        Volatile.Write(ref _login, login);
        LogLoggedIn(_logger, login.PlayerId);
        return login;
    }

    /// <summary>
    /// Logs in if needed and connects to the game hub. Transient failures (server down, network,
    /// 5xx) are retried with the reconnect backoff until <paramref name="cancellationToken"/> is
    /// cancelled; after that the client keeps itself connected until <see cref="DisconnectAsync"/>.
    /// Does nothing if already connected or reconnecting.
    /// </summary>
    /// <param name="cancellationToken">Stops trying to establish the first connection.</param>
    /// <exception cref="GameClientException">The server refused the login permanently (4xx).</exception>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _connectGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        CancellationTokenSource? session = null;
        try
        {
            if (State != GameClientState.Disconnected)
            {
                return;
            }

            session = new CancellationTokenSource();
            Volatile.Write(ref _session, session);
            _permanentFailure = null;
            SetState(GameClientState.Connecting);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(session.Token, cancellationToken);
            await ConnectLoopAsync(session, reconnect: false, linked.Token).ConfigureAwait(false);
        }
        catch when (session is not null)
        {
            await session.CancelAsync().ConfigureAwait(false);
            SetState(GameClientState.Disconnected);
            throw;
        }
        finally
        {
            _connectGate.Release();
        }
    }

    /// <summary>Closes the connection and stops reconnecting; raises <see cref="Disconnected"/> if the client was not already disconnected.</summary>
    public async Task DisconnectAsync()
    {
        // Cancel first: a ConnectAsync still retrying holds the gate.
        var session = Interlocked.Exchange(ref _session, null);
        if (session is not null)
        {
            await session.CancelAsync().ConfigureAwait(false);
        }

        await _connectGate.WaitAsync().ConfigureAwait(false);
        try
        {
            var connection = Interlocked.Exchange(ref _connection, null);
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            if (SetState(GameClientState.Disconnected) != GameClientState.Disconnected)
            {
                Raise(Disconnected, null);
            }
        }
        finally
        {
            _connectGate.Release();
        }
    }

    /// <summary>
    /// Sends one fix (<c>UpdateLocation</c>). A <see cref="LocationUpdate.Seq"/> of 0 gets the next
    /// increasing sequence number, a <see cref="LocationUpdate.Timestamp"/> of 0 the current time.
    /// An accepted ack that carries a nearby list raises <see cref="NearbyChanged"/>. If an auto-assigned sequence number is
    /// stale (another device or an earlier run of this player got further), the client catches up
    /// with the server's sequence and sends once more.
    /// </summary>
    /// <param name="update">The fix.</param>
    /// <param name="cancellationToken">Cancels waiting for the connection and the call.</param>
    /// <returns>The server's ack.</returns>
    public async Task<LocationAck> UpdateLocationAsync(LocationUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        var stamped = update.Timestamp == 0 ? update with { Timestamp = NowMs() } : update;
        var connection = await WaitForConnectionAsync(cancellationToken).ConfigureAwait(false);
        var (ack, _) = await SendUpdateAsync(connection, stamped, autoSeq: update.Seq == 0, cancellationToken).ConfigureAwait(false);
        if (ack.Accepted && ack.Nearby is { } nearby)
        {
            PublishNearby(nearby);
        }

        return ack;
    }

    /// <summary>
    /// Streams fixes (<c>StreamLocation</c>) until <paramref name="updates"/> ends. Sequence numbers
    /// and timestamps of 0 are filled in as in <see cref="UpdateLocationAsync"/>. Accepted fixes are
    /// silent; rejected ones raise <see cref="LocationRejected"/>. If the connection is lost the
    /// stream resumes on the next connection with the following fix.
    /// </summary>
    /// <param name="updates">The fixes, typically from the device's location service.</param>
    /// <param name="cancellationToken">Stops streaming.</param>
    /// <returns>A task that completes once every fix has been handed to the connection.</returns>
    public async Task StreamLocationAsync(IAsyncEnumerable<LocationUpdate> updates, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(updates);
        var source = updates.GetAsyncEnumerator(cancellationToken);
        await using (source.ConfigureAwait(false))
        {
            while (true)
            {
                var connection = await WaitForConnectionAsync(cancellationToken).ConfigureAwait(false);
                var finished = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                try
                {
                    await connection.SendAsync(HubMethods.StreamLocation, PumpAsync(source, finished, CancellationToken.None), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (IsTransportFailure(ex, connection, cancellationToken))
                {
                    LogRetryingAfterTransportFailure(_logger, HubMethods.StreamLocation, ex.Message);
                    await Task.Delay(TransportRetryPause, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (await finished.Task.WaitAsync(cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                // The connection ended mid-stream: carry on with the same source on the next one.
            }
        }
    }

    /// <summary>The player's server-side state (<c>GetState</c>).</summary>
    /// <param name="cancellationToken">Cancels waiting for the connection and the call.</param>
    public async Task<PlayerState> GetStateAsync(CancellationToken cancellationToken = default)
    {
        var connection = await WaitForConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.InvokeAsync<PlayerState>(HubMethods.GetState, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creatures within the visibility radius, nearest first (<c>GetNearby</c>); raises <see cref="NearbyChanged"/>.</summary>
    /// <param name="cancellationToken">Cancels waiting for the connection and the call.</param>
    public async Task<IReadOnlyList<NearbyCreature>> GetNearbyAsync(CancellationToken cancellationToken = default)
    {
        var connection = await WaitForConnectionAsync(cancellationToken).ConfigureAwait(false);
        var nearby = await connection.InvokeAsync<NearbyCreature[]>(HubMethods.GetNearby, cancellationToken).ConfigureAwait(false);
        PublishNearby(nearby);
        return nearby;
    }

    /// <summary>
    /// Throws at a creature (<c>TryCapture</c>). If the connection fails before the answer arrives,
    /// the same attempt id is sent again after the reconnect; the server answers a repeated attempt
    /// id with the original result, so a throw is never counted twice. After 3 lost connections
    /// for the same throw the last transport error is thrown.
    /// </summary>
    /// <param name="creatureId">The creature thrown at.</param>
    /// <param name="attemptId">The attempt's id; a new one is generated when null.</param>
    /// <param name="cancellationToken">Stops waiting and retrying.</param>
    /// <returns>The outcome (see <see cref="CaptureOutcomes"/>).</returns>
    public async Task<CaptureResult> TryCaptureAsync(string creatureId, string? attemptId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(creatureId);
        var request = new CaptureRequest { CreatureId = creatureId, AttemptId = attemptId ?? Guid.NewGuid().ToString("N") };
        for (var retries = 0; ; retries++)
        {
            var connection = await WaitForConnectionAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await connection.InvokeAsync<CaptureResult>(HubMethods.TryCapture, request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (retries < MaxCaptureRetries && IsTransportFailure(ex, connection, cancellationToken))
            {
                LogRetryingAfterTransportFailure(_logger, HubMethods.TryCapture, ex.Message);
                await Task.Delay(TransportRetryPause, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Disconnects (see <see cref="DisconnectAsync"/>) and releases the HTTP client.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await DisconnectAsync().ConfigureAwait(false);
        _http.Dispose();
        lock (_stateLock)
        {
            // Wake anyone still waiting for a connection; they see the disposal and throw.
            _settled.TrySetResult();
        }
    }

    private async Task ConnectLoopAsync(CancellationTokenSource session, bool reconnect, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (reconnect || attempt > 0)
            {
                await Task.Delay(_backoff.NextDelay(reconnect ? attempt : attempt - 1), cancellationToken).ConfigureAwait(false);
            }

            var connection = BuildConnection(session);
            try
            {
                // Logging in here rather than inside SignalR's token callback surfaces a refused login as itself.
                await GetAccessTokenAsync(cancellationToken).ConfigureAwait(false);
                await connection.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && !NoteConnectFailure(ex))
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                LogConnectFailed(_logger, attempt + 1, ex.Message);
                continue;
            }
            catch
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            var previous = Interlocked.Exchange(ref _connection, connection);
            if (previous is not null)
            {
                await previous.DisposeAsync().ConfigureAwait(false);
            }

            if (reconnect)
            {
                await ResyncAsync(connection, cancellationToken).ConfigureAwait(false);
                if (connection.State != HubConnectionState.Connected)
                {
                    // Lost again while re-synchronising: its Closed handler has taken over.
                    return;
                }
            }

            SetState(GameClientState.Connected);
            LogConnected(_logger, PlayerId ?? "?", reconnect);
            if (reconnect)
            {
                Raise(Reconnected);
            }

            return;
        }
    }

    private HubConnection BuildConnection(CancellationTokenSource session)
    {
        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(_serverUrl, HubMethods.Path), o =>
            {
                o.AccessTokenProvider = async () => await GetAccessTokenAsync(session.Token).ConfigureAwait(false);
                o.Transports = _options.Transports;
                if (_options.HttpMessageHandler is { } handler)
                {
                    o.HttpMessageHandlerFactory = _ => new SharedHandler(handler);
                }
            })
            .WithAutomaticReconnect(new ReconnectPolicy(this));
        if (_options.LoggerFactory is { } loggerFactory)
        {
            builder.Services.AddSingleton(loggerFactory);
        }

        if (_options.Protocol == GameProtocol.MessagePack)
        {
            builder.AddMessagePackProtocol();
        }
        else
        {
            // A device can produce NaN; sending it lets the server answer notFinite instead of failing to serialize here.
            builder.AddJsonProtocol(o => o.PayloadSerializerOptions.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals);
        }

        var connection = builder.Build();
        connection.On<LocationRejected>(GameEvents.LocationRejected, e => Raise(LocationRejected, e));
        connection.On<CreatureSpawned>(GameEvents.CreatureSpawned, e => Raise(CreatureSpawned, e));
        connection.On<CreatureDespawned>(GameEvents.CreatureDespawned, e => Raise(CreatureDespawned, e));
        connection.On<CreatureCaptured>(GameEvents.CreatureCaptured, e => Raise(CreatureCaptured, e));
        connection.Reconnecting += error => OnReconnecting(connection, error);
        connection.Reconnected += _ => OnReconnectedAsync(connection, session);
        connection.Closed += error => OnClosed(connection, session, error);
        return connection;
    }

    private Task OnReconnecting(HubConnection connection, Exception? error)
    {
        if (connection == Volatile.Read(ref _connection))
        {
            LogConnectionLost(_logger, error?.Message);
            SetState(GameClientState.Reconnecting);
            Raise(Reconnecting, error);
        }

        return Task.CompletedTask;
    }

    private async Task OnReconnectedAsync(HubConnection connection, CancellationTokenSource session)
    {
        if (connection != Volatile.Read(ref _connection) || session.IsCancellationRequested)
        {
            return;
        }

        try
        {
            await ResyncAsync(connection, session.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (session.IsCancellationRequested)
        {
            return;
        }

        if (connection.State == HubConnectionState.Connected && !session.IsCancellationRequested)
        {
            SetState(GameClientState.Connected);
            LogConnected(_logger, PlayerId ?? "?", true);
            Raise(Reconnected);
        }
    }

    // SignalR's own reconnect covers dropped connections; this covers what it does not: it gave up
    // (a permanent failure) or the connection closed without it (server-initiated close).
    private Task OnClosed(HubConnection connection, CancellationTokenSource session, Exception? error)
    {
        if (connection != Volatile.Read(ref _connection) || session.IsCancellationRequested)
        {
            return Task.CompletedTask;
        }

        if (_permanentFailure is { } permanent)
        {
            LogGaveUp(_logger, permanent.Message);
            session.Cancel();
            SetState(GameClientState.Disconnected);
            Raise(Disconnected, permanent);
            return Task.CompletedTask;
        }

        if (SetState(GameClientState.Reconnecting) != GameClientState.Reconnecting)
        {
            LogConnectionLost(_logger, error?.Message);
            Raise(Reconnecting, error);
        }

        _ = Task.Run(() => RebuildAsync(session));
        return Task.CompletedTask;
    }

    private async Task RebuildAsync(CancellationTokenSource session)
    {
        try
        {
            await ConnectLoopAsync(session, reconnect: true, session.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (session.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogGaveUp(_logger, ex.Message);
            await session.CancelAsync().ConfigureAwait(false);
            SetState(GameClientState.Disconnected);
            Raise(Disconnected, ex);
        }
    }

    private async Task ResyncAsync(HubConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            if (LastPosition is { } last)
            {
                await SendUpdateAsync(connection, last with { Seq = 0, Timestamp = NowMs() }, autoSeq: true, cancellationToken).ConfigureAwait(false);
            }

            var nearby = await connection.InvokeAsync<NearbyCreature[]>(HubMethods.GetNearby, cancellationToken).ConfigureAwait(false);
            PublishNearby(nearby);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogResyncFailed(_logger, ex.Message);
        }
    }

    private async Task<(LocationAck Ack, LocationUpdate Sent)> SendUpdateAsync(
        HubConnection connection, LocationUpdate update, bool autoSeq, CancellationToken cancellationToken)
    {
        while (true)
        {
            var sent = autoSeq ? update with { Seq = NextSeq() } : update;
            if (!autoSeq)
            {
                AdvanceSeqTo(sent.Seq);
            }

            var previous = Interlocked.Exchange(ref _lastPosition, sent);
            LocationAck ack;
            try
            {
                ack = await connection.InvokeAsync<LocationAck>(HubMethods.UpdateLocation, sent, cancellationToken).ConfigureAwait(false);
            }
            catch (HubException)
            {
                Interlocked.CompareExchange(ref _lastPosition, previous, sent);
                throw;
            }

            // On a transport failure the fix stays the last position, so the reconnect sends it.
            if (ack.Accepted)
            {
                return (ack, sent);
            }

            // A rejected fix must not be re-sent on reconnect (an implausible jump would add a strike).
            Interlocked.CompareExchange(ref _lastPosition, previous, sent);
            if (!(autoSeq && ack.Reason == RejectReasons.StaleSequence))
            {
                return (ack, sent);
            }

            var state = await connection.InvokeAsync<PlayerState>(HubMethods.GetState, cancellationToken).ConfigureAwait(false);
            if (state.Seq is not { } serverSeq || serverSeq < sent.Seq)
            {
                return (ack, sent);
            }

            AdvanceSeqTo(serverSeq);
        }
    }

    private async IAsyncEnumerable<LocationUpdate> PumpAsync(
        IAsyncEnumerator<LocationUpdate> source, TaskCompletionSource<bool> finished,
        [EnumeratorCancellation] CancellationToken streamCancelled = default)
    {
        var exhausted = false;
        try
        {
            while (!streamCancelled.IsCancellationRequested)
            {
                bool more;
                try
                {
                    more = await source.MoveNextAsync().ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    finished.TrySetException(ex);
                    yield break;
                }

                if (!more)
                {
                    exhausted = true;
                    yield break;
                }

                var update = source.Current;
                var sent = update with
                {
                    Seq = update.Seq == 0 ? NextSeq() : update.Seq,
                    Timestamp = update.Timestamp == 0 ? NowMs() : update.Timestamp,
                };
                AdvanceSeqTo(sent.Seq);
                Volatile.Write(ref _lastPosition, sent);
                yield return sent;
            }
        }
        finally
        {
            finished.TrySetResult(exhausted);
        }
    }

    private async Task<HubConnection> WaitForConnectionAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Task settled;
            lock (_stateLock)
            {
                var connection = _connection;
                switch (_state)
                {
                    case GameClientState.Connected when connection is not null:
                        return connection;
                    case GameClientState.Disconnected:
                        throw new InvalidOperationException("The client is not connected; call ConnectAsync first.");
                }

                settled = _settled.Task;
            }

            await settled.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<string?> GetAccessTokenAsync(CancellationToken cancellationToken)
    {
        var login = Volatile.Read(ref _login);
        if (login is null || DateTimeOffset.FromUnixTimeMilliseconds(login.ExpiresAt) - _time.GetUtcNow() < _options.TokenRefreshMargin)
        {
            login = await LoginAsync(cancellationToken).ConfigureAwait(false);
        }

        return login.Token;
    }

    /// <summary>Records what a failed (re)connect means; true when it is permanent.</summary>
    private bool NoteConnectFailure(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case GameClientException { IsPermanent: true }:
                    _permanentFailure = e;
                    return true;
                case HttpRequestException { StatusCode: HttpStatusCode.Unauthorized }:
                    // The server no longer accepts the token (e.g. its signing key changed): log in again.
                    Volatile.Write(ref _login, null);
                    return false;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether a call failed because its connection did, rather than being answered with an error.
    /// A server-sent close fails pending calls with a <see cref="HubException"/> too, and it does so
    /// before the connection's state leaves Connected, so the state alone races with the failure:
    /// the close's own message (fixed by SignalR's client) tells it apart from an answer.
    /// </summary>
    private bool IsTransportFailure(Exception error, HubConnection connection, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested && !_disposed && error is not ObjectDisposedException
        && (error is not HubException hub || connection.State != HubConnectionState.Connected
            || hub.Message.StartsWith(ServerClosedPrefix, StringComparison.Ordinal));

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// The next sequence number: one above the last used, and at least the current Unix time in
    /// milliseconds, so that a new run of the app (or a new client object) on the same player stays
    /// above what the server has already accepted without asking it first.
    /// </summary>
    private long NextSeq()
    {
        while (true)
        {
            var current = Interlocked.Read(ref _seq);
            var next = Math.Max(current + 1, NowMs());
            if (Interlocked.CompareExchange(ref _seq, next, current) == current)
            {
                return next;
            }
        }
    }

    private void AdvanceSeqTo(long seq)
    {
        while (true)
        {
            var current = Interlocked.Read(ref _seq);
            if (current >= seq || Interlocked.CompareExchange(ref _seq, seq, current) == current)
            {
                return;
            }
        }
    }

    private void PublishNearby(IReadOnlyList<NearbyCreature> nearby)
    {
        Volatile.Write(ref _nearby, nearby);
        Raise(NearbyChanged, nearby);
    }

    /// <summary>Sets the state; returns the previous one.</summary>
    private GameClientState SetState(GameClientState state)
    {
        lock (_stateLock)
        {
            var previous = _state;
            _state = state;
            if (state is GameClientState.Connected or GameClientState.Disconnected)
            {
                _settled.TrySetResult();
            }
            else if (_settled.Task.IsCompleted)
            {
                _settled = NewSignal(completed: false);
            }

            return previous;
        }
    }

    private static TaskCompletionSource NewSignal(bool completed)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (completed)
        {
            signal.SetResult();
        }

        return signal;
    }

    private void Raise<T>(Action<T>? handler, T value)
    {
        if (handler is null)
        {
            return;
        }

        try
        {
            handler(value);
        }
        catch (Exception ex)
        {
            LogHandlerFailed(_logger, typeof(T).Name, ex);
        }
    }

    private void Raise(Action? handler)
    {
        try
        {
            handler?.Invoke();
        }
        catch (Exception ex)
        {
            LogHandlerFailed(_logger, nameof(Reconnected), ex);
        }
    }

    private static string DescribeProblem(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return "(no body)";
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return body;
            }

            var text = new StringBuilder();
            foreach (var name in new[] { "title", "detail" })
            {
                if (root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
                {
                    text.Append(text.Length > 0 ? " " : "").Append(value.GetString());
                }
            }

            if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
            {
                foreach (var field in errors.EnumerateObject())
                {
                    var messages = field.Value.ValueKind == JsonValueKind.Array
                        ? string.Join(" ", field.Value.EnumerateArray().Select(m => m.ToString()))
                        : field.Value.ToString();
                    text.Append(' ').Append(field.Name).Append(": ").Append(messages);
                }
            }

            return text.Length > 0 ? text.ToString() : body;
        }
        catch (JsonException)
        {
            return body;
        }
    }

    /// <summary>Backoff for SignalR's automatic reconnect that also gives up on permanent failures.</summary>
    private sealed class ReconnectPolicy(GameClient client) : IRetryPolicy
    {
        public TimeSpan? NextRetryDelay(RetryContext retryContext) =>
            client.NoteConnectFailure(retryContext.RetryReason) ? null : client._backoff.NextDelay(retryContext.PreviousRetryCount);
    }

    /// <summary>Lends a caller-owned handler to an HttpClient that would otherwise dispose it.</summary>
    private sealed class SharedHandler(HttpMessageHandler inner) : HttpMessageHandler
    {
        private readonly HttpMessageInvoker _invoker = new(inner, disposeHandler: false);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            _invoker.SendAsync(request, cancellationToken);

        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
            _invoker.Send(request, cancellationToken);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Logged in as {PlayerId}")]
    private static partial void LogLoggedIn(ILogger logger, string playerId);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Connected as {PlayerId} (reconnect: {Reconnect})")]
    private static partial void LogConnected(ILogger logger, string playerId, bool reconnect);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Connect attempt {Attempt} failed: {Error}")]
    private static partial void LogConnectFailed(ILogger logger, int attempt, string error);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Connection lost, reconnecting: {Error}")]
    private static partial void LogConnectionLost(ILogger logger, string? error);

    [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "Giving up reconnecting: {Error}")]
    private static partial void LogGaveUp(ILogger logger, string error);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Re-synchronising after a reconnect failed: {Error}")]
    private static partial void LogResyncFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "{Method} lost its connection; retrying after the reconnect: {Error}")]
    private static partial void LogRetryingAfterTransportFailure(ILogger logger, string method, string error);

    [LoggerMessage(EventId = 8, Level = LogLevel.Error, Message = "A {Event} event handler threw")]
    private static partial void LogHandlerFailed(ILogger logger, string @event, Exception exception);

    // The login body and answer with the device secret (docs/security.md), until the contracts carry it.
    private sealed record GuestLogin
    {
        public string DeviceId { get; init; } = "";

        public string? DisplayName { get; init; }

        public string? DeviceSecret { get; init; }
    }

    private sealed record GuestLoginAnswer
    {
        public string PlayerId { get; init; } = "";

        public string Token { get; init; } = "";

        public long ExpiresAt { get; init; }

        public string? DeviceSecret { get; init; }
    }
}
