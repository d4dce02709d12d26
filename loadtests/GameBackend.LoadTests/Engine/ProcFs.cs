namespace GameBackend.LoadTests.Engine;

/// <summary>Reads another process's CPU time and memory from Linux <c>/proc</c>. Returns null where unavailable.</summary>
public static class ProcFs
{
    // USER_HZ is 100 on every mainstream Linux build; /proc/<pid>/stat reports utime/stime in it.
    private const double ClockTicksPerSecond = 100;

    /// <summary>User + system CPU time of <paramref name="pid"/> (fields 14 and 15 of /proc/pid/stat).</summary>
    public static TimeSpan? ReadCpuTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");

            // The command name (field 2) may contain spaces; fields after it start past the last ')'.
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var utime = long.Parse(rest[11]);
            var stime = long.Parse(rest[12]);
            return TimeSpan.FromSeconds((utime + stime) / ClockTicksPerSecond);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Resident set size of <paramref name="pid"/> in bytes (VmRSS of /proc/pid/status).</summary>
    public static long? ReadRssBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kb) * 1024;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
        }

        return null;
    }
}
