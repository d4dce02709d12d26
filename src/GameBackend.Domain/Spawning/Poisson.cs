namespace GameBackend.Domain.Spawning;

/// <summary>Poisson draws from a seeded <see cref="Random"/>, so every spawn decision replays exactly.</summary>
public static class Poisson
{
    /// <summary>A Poisson-distributed count with the given mean (0 for a mean of 0 or less).</summary>
    public static int Sample(double mean, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (!(mean > 0))
        {
            return 0;
        }

        if (mean < 30)
        {
            // Knuth: multiply uniforms until the product drops below e^-mean.
            var limit = Math.Exp(-mean);
            var product = random.NextDouble();
            var count = 0;
            while (product > limit)
            {
                count++;
                product *= random.NextDouble();
            }

            return count;
        }

        // Large means only arise after long gaps and are capped by the caller; a normal draw is plenty.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        var normal = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
        return (int)Math.Max(0, Math.Round(mean + (Math.Sqrt(mean) * normal)));
    }
}
