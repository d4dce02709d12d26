using System.Globalization;

namespace GameBackend.Bots;

/// <summary>A place bots walk around, and the spots some of them head for (the demo sponsor zones in Berlin).</summary>
internal sealed record City(string Name, double Latitude, double Longitude, double RadiusMeters, (double Lat, double Lng)[] Attractions);

/// <summary>Command line: <c>--url http://127.0.0.1:5080 --bots 50 --city berlin --seed 1 --duration 10m [--protocol json]</c>.</summary>
internal sealed record BotOptions(Uri Url, int Bots, City City, int Seed, TimeSpan Duration, bool Json)
{
    public static readonly Dictionary<string, City> Cities = new(StringComparer.OrdinalIgnoreCase)
    {
        // Torstraße / Rosenthaler Platz: the demo world's sponsor zones (src/GameBackend.Server/Demo).
        ["berlin"] = new("berlin", 52.52935, 13.40050, 700, [(52.52965, 13.40140), (52.52905, 13.39700), (52.52932, 13.40600)]),
        ["hamburg"] = new("hamburg", 53.55110, 9.99370, 700, []),
        ["paris"] = new("paris", 48.85660, 2.35220, 700, []),
    };

    public static BotOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"unexpected argument '{args[i]}'");
            }

            values[args[i][2..]] = args[++i];
        }

        var url = new Uri(values.GetValueOrDefault("url", "http://127.0.0.1:5080"));
        if (url.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException("--url must be an http(s) URL of the game server");
        }

        var cityName = values.GetValueOrDefault("city", "berlin");
        if (!Cities.TryGetValue(cityName, out var city))
        {
            throw new ArgumentException($"--city must be one of {string.Join(", ", Cities.Keys)}");
        }

        var bots = int.Parse(values.GetValueOrDefault("bots", "10"), CultureInfo.InvariantCulture);
        if (bots is < 1 or > 5000)
        {
            throw new ArgumentException("--bots must be 1–5000");
        }

        var duration = ParseDuration(values.GetValueOrDefault("duration", "10m"));
        if (duration <= TimeSpan.Zero || duration > TimeSpan.FromHours(24))
        {
            throw new ArgumentException("--duration must be positive and at most 24h");
        }

        return new BotOptions(url, bots, city, int.Parse(values.GetValueOrDefault("seed", "1"), CultureInfo.InvariantCulture), duration,
            values.GetValueOrDefault("protocol", "msgpack").Equals("json", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>"90s", "10m", "2h", or a TimeSpan ("00:10:00").</summary>
    public static TimeSpan ParseDuration(string text)
    {
        var unit = text[^1];
        if (char.IsLetter(unit) && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
        {
            return unit switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                _ => throw new ArgumentException($"unknown duration unit in '{text}'"),
            };
        }

        return TimeSpan.Parse(text, CultureInfo.InvariantCulture);
    }
}
