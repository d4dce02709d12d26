using System.Net.Http.Json;
using GameBackend.Contracts;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace GameBackend.Bots;

/// <summary>Counters shared by all bots.</summary>
internal sealed class BotStats
{
    public long Sent;
    public long Accepted;
    public long Throws;
    public long Captures;
    public long Errors;
    public readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> Rejected = new();
}

/// <summary>
/// One simulated walker: about 1.4 m/s with jitter, one fix a second, heading and course consistent
/// with the direction of travel, accelerometer ≈ gravity + noise. Some head for the city's attractions.
/// Throws at creatures within 40 m now and then.
/// </summary>
internal sealed class Bot(int index, BotOptions options, HttpClient http, BotStats stats)
{
    private const double EarthRadius = 6_371_008.8;
    private const double ThrowRangeMeters = 40;
    private readonly Random _random = new(HashCode.Combine(options.Seed, index));

    public async Task RunAsync(CancellationToken stop)
    {
        var city = options.City;
        var login = await http.PostAsJsonAsync("/api/players/login",
            new LoginRequest { DeviceId = $"bot-{options.Seed}-{index}", DisplayName = $"Bot {index}" }, stop);
        if (login.StatusCode == System.Net.HttpStatusCode.Unauthorized)
        {
            // An earlier run registered this device and kept its secret to itself: walk as a new device.
            login.Dispose();
            login = await http.PostAsJsonAsync("/api/players/login",
                new LoginRequest { DeviceId = $"bot-{options.Seed}-{index}-{Guid.NewGuid():N}", DisplayName = $"Bot {index}" }, stop);
        }

        using var _ = login;
        login.EnsureSuccessStatusCode();
        var session = (await login.Content.ReadFromJsonAsync<LoginResponse>(stop))!;

        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(options.Url, HubMethods.Path), o => o.AccessTokenProvider = () => Task.FromResult<string?>(session.Token));
        if (!options.Json)
        {
            builder.AddMessagePackProtocol(); // JSON (camelCase) is the client's default
        }

        await using var connection = builder.Build();
        await connection.StartAsync(stop);

        var state = await connection.InvokeAsync<PlayerState>(HubMethods.GetState, stop);
        var (lat, lng) = state.Latitude is { } l && state.Longitude is { } g
            ? (l, g) // resume where the server last saw this bot: a jump would be rejected as implausible
            : Offset(city.Latitude, city.Longitude, _random.NextDouble() * 360, Math.Sqrt(_random.NextDouble()) * city.RadiusMeters);
        var seekAttractions = city.Attractions.Length > 0 && index % 3 == 0;
        var target = NextTarget(seekAttractions);
        var course = Bearing(lat, lng, target.Lat, target.Lng);
        var seq = Math.Max(state.Seq ?? 0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        IReadOnlyList<NearbyCreature> nearby = [];

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(stop))
        {
            if (Distance(lat, lng, target.Lat, target.Lng) < 10)
            {
                target = NextTarget(seekAttractions);
            }

            // Steer gently towards the target; people do not walk in perfectly straight lines.
            var wanted = Bearing(lat, lng, target.Lat, target.Lng);
            var turn = ((wanted - course + 540) % 360) - 180;
            course = (course + Math.Clamp(turn, -30, 30) + Gaussian(4) + 360) % 360;
            var speed = Math.Max(0.3, 1.4 + Gaussian(0.2));
            (lat, lng) = Offset(lat, lng, course, speed);

            var update = new LocationUpdate
            {
                Seq = ++seq,
                Timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
                Latitude = lat,
                Longitude = lng,
                Accuracy = 3 + (_random.NextDouble() * 5),
                Heading = (course + Gaussian(8) + 360) % 360,
                Speed = speed,
                Course = course,
                Acceleration = new Acceleration { X = Gaussian(0.3), Y = Gaussian(0.3), Z = 9.81 + Gaussian(0.3) },
            };
            Interlocked.Increment(ref stats.Sent);
            var ack = await connection.InvokeAsync<LocationAck>(HubMethods.UpdateLocation, update, stop);
            if (!ack.Accepted)
            {
                stats.Rejected.AddOrUpdate(ack.Reason ?? "?", 1, (_, n) => n + 1);
                continue;
            }

            Interlocked.Increment(ref stats.Accepted);
            // Acks repeat the list only when it changes: keep it, and measure from where the bot is now.
            nearby = ack.Nearby ?? nearby;
            var close = nearby.FirstOrDefault(c => Distance(lat, lng, c.Latitude, c.Longitude) <= ThrowRangeMeters);
            if (close is not null && _random.NextDouble() < 0.3)
            {
                Interlocked.Increment(ref stats.Throws);
                var result = await connection.InvokeAsync<CaptureResult>(HubMethods.TryCapture,
                    new CaptureRequest { CreatureId = close.CreatureId, AttemptId = Guid.NewGuid().ToString("N") }, stop);
                if (result.Outcome == CaptureOutcomes.Captured)
                {
                    Interlocked.Increment(ref stats.Captures);
                }
            }
        }
    }

    private (double Lat, double Lng) NextTarget(bool seekAttractions)
    {
        var city = options.City;
        if (seekAttractions && _random.NextDouble() < 0.7)
        {
            var spot = city.Attractions[_random.Next(city.Attractions.Length)];
            return Offset(spot.Lat, spot.Lng, _random.NextDouble() * 360, _random.NextDouble() * 25);
        }

        return Offset(city.Latitude, city.Longitude, _random.NextDouble() * 360, Math.Sqrt(_random.NextDouble()) * city.RadiusMeters);
    }

    private double Gaussian(double sigma) =>
        sigma * Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());

    private static double Rad(double d) => d * Math.PI / 180;

    private static double Deg(double r) => r * 180 / Math.PI;

    private static (double Lat, double Lng) Offset(double lat, double lng, double bearing, double meters)
    {
        var d = meters / EarthRadius;
        var b = Rad(bearing);
        var lat1 = Rad(lat);
        var lat2 = Math.Asin((Math.Sin(lat1) * Math.Cos(d)) + (Math.Cos(lat1) * Math.Sin(d) * Math.Cos(b)));
        var lng2 = Rad(lng) + Math.Atan2(Math.Sin(b) * Math.Sin(d) * Math.Cos(lat1), Math.Cos(d) - (Math.Sin(lat1) * Math.Sin(lat2)));
        return (Deg(lat2), ((Deg(lng2) + 540) % 360) - 180);
    }

    private static double Distance(double lat1, double lng1, double lat2, double lng2)
    {
        var h = Math.Pow(Math.Sin(Rad(lat2 - lat1) / 2), 2) + (Math.Cos(Rad(lat1)) * Math.Cos(Rad(lat2)) * Math.Pow(Math.Sin(Rad(lng2 - lng1) / 2), 2));
        return 2 * EarthRadius * Math.Asin(Math.Min(1, Math.Sqrt(h)));
    }

    private static double Bearing(double lat1, double lng1, double lat2, double lng2)
    {
        var y = Math.Sin(Rad(lng2 - lng1)) * Math.Cos(Rad(lat2));
        var x = (Math.Cos(Rad(lat1)) * Math.Sin(Rad(lat2))) - (Math.Sin(Rad(lat1)) * Math.Cos(Rad(lat2)) * Math.Cos(Rad(lng2 - lng1)));
        return (Deg(Math.Atan2(y, x)) + 360) % 360;
    }
}
