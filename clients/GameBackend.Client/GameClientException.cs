using System.Net;

namespace GameBackend.Client;

/// <summary>The server refused a request of the client SDK (for example a login answered with 4xx).</summary>
public sealed class GameClientException : Exception
{
    /// <summary>Creates an exception with a generic message.</summary>
    public GameClientException()
        : base("The game server refused the request.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public GameClientException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and its cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public GameClientException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception for an HTTP error answer.</summary>
    /// <param name="message">What went wrong, including the server's problem details.</param>
    /// <param name="statusCode">The HTTP status the server answered with.</param>
    public GameClientException(string message, HttpStatusCode statusCode)
        : base(message)
    {
        StatusCode = statusCode;
    }

    /// <summary>The HTTP status the server answered with, if the failure was an HTTP answer.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>
    /// Whether retrying cannot help: a 4xx answer other than 408 (timeout) and 429 (too many requests),
    /// for example a malformed device id or guest login disabled.
    /// </summary>
    public bool IsPermanent => StatusCode is { } code && (int)code is >= 400 and < 500
        && code is not HttpStatusCode.RequestTimeout and not HttpStatusCode.TooManyRequests;
}
