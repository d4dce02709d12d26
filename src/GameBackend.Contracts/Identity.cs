namespace GameBackend.Contracts;

/// <summary>Body of <c>POST /api/players/login</c> (guest login).</summary>
public sealed record LoginRequest
{
    /// <summary>A stable device identifier; the same device always gets the same player id.</summary>
    public string DeviceId { get; init; } = "";

    /// <summary>Name shown to other players.</summary>
    public string? DisplayName { get; init; }
}

/// <summary>Answer of <c>POST /api/players/login</c>.</summary>
public sealed record LoginResponse
{
    /// <summary>The player id the token carries.</summary>
    public string PlayerId { get; init; } = "";

    /// <summary>A JWT bearer token for the hub and the player API.</summary>
    public string Token { get; init; } = "";

    /// <summary>When the token expires, Unix milliseconds.</summary>
    public long ExpiresAt { get; init; }
}
