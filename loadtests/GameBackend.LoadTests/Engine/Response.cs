namespace GameBackend.LoadTests.Engine;

/// <summary>
/// The outcome of one scenario invocation or step. <see cref="SizeBytes"/> counts bytes received,
/// <see cref="SentBytes"/> bytes sent; both feed the data-transfer columns of the report.
/// </summary>
public readonly record struct Response(bool IsError, string StatusCode, long SizeBytes, long SentBytes, string? Message)
{
    /// <summary>Status code recorded when an invocation was dropped because the in-flight cap was reached.</summary>
    public const string ClientOverload = "client.overload";

    /// <summary>Status code recorded when the scenario body threw.</summary>
    public const string ClientException = "client.exception";

    /// <summary>Status code recorded when the scenario body was cancelled (run stopped or timed out).</summary>
    public const string ClientCancelled = "client.cancelled";

    /// <summary>A successful response.</summary>
    public static Response Ok(string statusCode = "ok", long sizeBytes = 0, long sentBytes = 0) =>
        new(false, statusCode, sizeBytes, sentBytes, null);

    /// <summary>A failed response.</summary>
    public static Response Fail(string statusCode = "fail", string? message = null, long sizeBytes = 0, long sentBytes = 0) =>
        new(true, statusCode, sizeBytes, sentBytes, message);
}
