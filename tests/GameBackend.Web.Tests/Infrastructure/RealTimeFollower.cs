namespace GameBackend.Web.Tests.Infrastructure;

/// <summary>
/// Keeps the test server's game clock from falling behind the wall clock while a page plays. The
/// browser stamps fixes with its real clock (device time) and the server refuses fixes more than 30 s
/// ahead of game time, so on a busy machine a page that took long to load had every fix refused. Game
/// time only moves forward: a test may still <c>Advance</c> it ahead; it then waits for real time.
/// </summary>
public sealed class RealTimeFollower : IDisposable
{
    private readonly TestServer _server;
    private readonly Timer _timer;

    private RealTimeFollower(TestServer server)
    {
        _server = server;
        CatchUp();
        _timer = new Timer(_ => CatchUp(), null, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(200));
    }

    public static RealTimeFollower Start(TestServer server) => new(server);

    private void CatchUp()
    {
        var now = DateTimeOffset.UtcNow;
        try
        {
            if (now > _server.Time.GetUtcNow())
            {
                _server.Time.SetUtcNow(now);
            }
        }
        catch (ArgumentOutOfRangeException)
        {
            // The test advanced game time between the check and the set: it is ahead already.
        }
    }

    public void Dispose() => _timer.Dispose();
}
