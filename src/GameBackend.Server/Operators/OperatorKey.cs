using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Operators;

/// <summary>The configured admin key, compared in constant time; shared by the REST filter and the operator hub.</summary>
public sealed class OperatorKey(IOptions<OperatorOptions> options)
{
    // Both sides are hashed first so the comparison is constant-time and independent of the length
    // of the presented key.
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.AdminKey));

    public bool IsConfigured { get; } = options.Value.IsConfigured;

    public bool Accepts(string? presented) =>
        IsConfigured && presented is { Length: > 0 and <= 1024 } &&
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), _expected);
}
