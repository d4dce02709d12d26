using GameBackend.Domain.Cells;
using GameBackend.Domain.Geo;

namespace GameBackend.Domain.Tests.Cells;

public sealed class CellGridTests
{
    public static TheoryData<int> Sizes => [10, 50, 137, 200, 1_000, 25_000, 100_000];

    [Theory]
    [InlineData(9)]
    [InlineData(0)]
    [InlineData(-200)]
    [InlineData(100_001)]
    public void Unreasonable_sizes_are_refused(int size)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CellGrid(size));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Every_point_maps_to_a_valid_cell_that_contains_it(int size)
    {
        var grid = new CellGrid(size);
        var random = new Random(size);
        foreach (var point in SweepPoints(random, 20_000))
        {
            var cell = grid.CellOf(point);
            Assert.True(grid.IsValid(cell), $"{point} -> {cell}");
            var b = grid.Bounds(cell);
            var lon = point.Longitude >= 180.0 ? -180.0 : point.Longitude;
            Assert.True(
                point.Latitude >= b.South && point.Latitude <= b.North && lon >= b.West && lon <= b.East,
                $"{point} -> {cell} with bounds {b}");
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Cell_corners_map_to_their_own_cell(int size)
    {
        // The south-west corner of a cell belongs to it (bounds are closed below, open above):
        // the edge arithmetic in CellOf and Bounds must agree exactly, not just to a rounding error.
        var grid = new CellGrid(size);
        var random = new Random(size + 1);
        for (var i = 0; i < 20_000; i++)
        {
            var row = random.Next(grid.RowCount);
            var cell = new CellId(size, row, random.Next(grid.ColumnsInRow(row)));
            var b = grid.Bounds(cell);
            Assert.Equal(cell, grid.CellOf(new GeoPoint(b.South, b.West)));
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void The_antimeridian_is_one_meridian(int size)
    {
        var grid = new CellGrid(size);
        var random = new Random(size + 2);
        for (var i = 0; i < 2_000; i++)
        {
            var lat = (random.NextDouble() * 180) - 90;
            Assert.Equal(grid.CellOf(new GeoPoint(lat, -180)), grid.CellOf(new GeoPoint(lat, 180)));
            Assert.Equal(0, grid.CellOf(new GeoPoint(lat, 180)).Column);
        }

        Assert.Equal(grid.CellOf(new GeoPoint(90, -180)), grid.CellOf(new GeoPoint(90, 180)));
        Assert.Equal(grid.CellOf(new GeoPoint(-90, -180)), grid.CellOf(new GeoPoint(-90, 180)));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Pole_rows_have_exactly_one_column(int size)
    {
        var grid = new CellGrid(size);
        Assert.Equal(1, grid.ColumnsInRow(0));
        Assert.Equal(1, grid.ColumnsInRow(grid.RowCount - 1));
        Assert.Equal(new CellId(size, 0, 0), grid.CellOf(new GeoPoint(-90, 37)));
        Assert.Equal(new CellId(size, grid.RowCount - 1, 0), grid.CellOf(new GeoPoint(90, -123)));
        Assert.Equal(-90.0, grid.Bounds(new CellId(size, 0, 0)).South);
        Assert.Equal(90.0, grid.Bounds(new CellId(size, grid.RowCount - 1, 0)).North);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Columns_tile_every_row_exactly(int size)
    {
        var grid = new CellGrid(size);
        var random = new Random(size + 3);
        for (var i = 0; i < 200; i++)
        {
            var row = random.Next(grid.RowCount);
            var columns = grid.ColumnsInRow(row);
            Assert.Equal(-180.0, grid.Bounds(new CellId(size, row, 0)).West);
            Assert.Equal(180.0, grid.Bounds(new CellId(size, row, columns - 1)).East);
            if (columns > 1)
            {
                var c = random.Next(columns - 1);
                Assert.Equal(grid.Bounds(new CellId(size, row, c)).East, grid.Bounds(new CellId(size, row, c + 1)).West, 9);
            }
        }
    }

    [Theory]
    [InlineData(200, 0.0)]
    [InlineData(200, 45.0)]
    [InlineData(200, -51.5)]
    [InlineData(200, 70.0)]
    [InlineData(50, 35.0)]
    [InlineData(1_000, -60.0)]
    public void Cells_are_roughly_square_and_never_wider_than_size(int size, double latitude)
    {
        var grid = new CellGrid(size);
        var random = new Random(size);
        for (var i = 0; i < 500; i++)
        {
            var cell = grid.CellOf(new GeoPoint(latitude + random.NextDouble(), (random.NextDouble() * 360) - 180));
            var b = grid.Bounds(cell);
            var height = GeoMath.DistanceMeters(new GeoPoint(b.South, b.West), new GeoPoint(b.North, b.West));
            var equatorward = Math.Abs(b.South) < Math.Abs(b.North) ? b.South : b.North;
            if (b.South <= 0 && b.North >= 0)
            {
                equatorward = 0;
            }

            var poleward = Math.Abs(b.South) < Math.Abs(b.North) ? b.North : b.South;
            var widest = ParallelLength(equatorward, b.East - b.West);
            var narrowest = ParallelLength(poleward, b.East - b.West);
            Assert.Equal(size, height, 6);
            Assert.True(widest <= size * (1 + 1e-9), $"{cell} is {widest} m wide");
            Assert.True(narrowest >= size * 0.9, $"{cell} is only {narrowest} m wide at its poleward edge");
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Cells_are_never_wider_than_size_anywhere_but_the_polar_caps(int size)
    {
        var grid = new CellGrid(size);
        for (var row = 1; row < grid.RowCount - 1; row += Math.Max(1, grid.RowCount / 5_000))
        {
            var b = grid.Bounds(new CellId(size, row, 0));
            var equatorward = b.South <= 0 && b.North >= 0 ? 0 : Math.Min(Math.Abs(b.South), Math.Abs(b.North));
            Assert.True(ParallelLength(equatorward, b.East - b.West) <= size * (1 + 1e-9), $"row {row}");
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void RandomPointIn_stays_in_the_cell(int size)
    {
        var grid = new CellGrid(size);
        var random = new Random(size + 4);
        var rows = new List<int> { 0, 1, 2, grid.RowCount / 2, grid.RowCount - 3, grid.RowCount - 2, grid.RowCount - 1 };
        for (var i = 0; i < 300; i++)
        {
            rows.Add(random.Next(grid.RowCount));
        }

        foreach (var row in rows)
        {
            var columns = grid.ColumnsInRow(row);
            foreach (var col in new[] { 0, columns - 1, random.Next(columns) })
            {
                var cell = new CellId(size, row, col);
                for (var i = 0; i < 20; i++)
                {
                    var p = grid.RandomPointIn(cell, random);
                    Assert.True(p.IsValid);
                    Assert.Equal(cell, grid.CellOf(p));
                }
            }
        }
    }

    [Theory]
    [InlineData(25_000)]
    [InlineData(100_000)]
    public void Cell_areas_add_up_to_the_sphere(int size)
    {
        var grid = new CellGrid(size);
        var total = 0.0;
        for (var row = 0; row < grid.RowCount; row++)
        {
            for (var col = 0; col < grid.ColumnsInRow(row); col++)
            {
                total += grid.AreaSquareMeters(new CellId(size, row, col));
            }
        }

        Assert.InRange(total / (4 * Math.PI * GeoMath.EarthRadiusMeters * GeoMath.EarthRadiusMeters), 1 - 1e-9, 1 + 1e-9);
    }

    [Fact]
    public void Foreign_cells_are_refused()
    {
        var grid = new CellGrid(200);
        Assert.False(grid.IsValid(new CellId(100, 0, 0)));
        Assert.False(grid.IsValid(new CellId(200, -1, 0)));
        Assert.False(grid.IsValid(new CellId(200, grid.RowCount, 0)));
        Assert.False(grid.IsValid(new CellId(200, 1000, grid.ColumnsInRow(1000))));
        Assert.Throws<ArgumentException>(() => grid.Bounds(new CellId(100, 0, 0)));
        Assert.Throws<ArgumentException>(() => grid.CellsWithin(new CellId(200, 0, 1), 100));
        Assert.Throws<ArgumentOutOfRangeException>(() => grid.CellsWithin(new CellId(200, 0, 0), -1));
    }

    public static TheoryData<int, int, double, string> CellsWithinCases()
    {
        var data = new TheoryData<int, int, double, string>();
        foreach (var (size, radius) in new[] { (200, 200.0), (200, 70.0), (200, 0.0), (50, 200.0), (1_000, 300.0), (200, 5_000.0), (100_000, 250_000.0) })
        {
            foreach (var region in new[] { "anywhere", "midlatitudes", "poles", "antimeridian", "equator" })
            {
                data.Add(size, size + (int)radius, radius, region);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CellsWithinCases))]
    public void CellsWithin_covers_every_point_within_the_radius(int size, int seed, double radius, string region)
    {
        // The guarantee the view relies on: whatever point of its cell a player stands on, every
        // creature within the radius lies in one of the cells the view subscribes to.
        var grid = new CellGrid(size);
        var random = new Random(seed * 31 + region.Length);
        var iterations = radius > 1_000 ? 150 : 3_000;
        for (var i = 0; i < iterations; i++)
        {
            var start = RegionPoint(random, region);
            var cell = grid.CellOf(start);
            var from = grid.RandomPointIn(cell, random);
            var within = grid.CellsWithin(cell, radius);
            var set = within.ToHashSet();
            Assert.Equal(within.Count, set.Count);
            Assert.Contains(cell, set);

            for (var j = 0; j < 10; j++)
            {
                // The documented tolerance: every point within radius - 2 mm.
                var reach = Math.Max(0, radius - 0.002);
                var distance = j == 0 ? reach : random.NextDouble() * reach;
                var to = GeoMath.Destination(from, random.NextDouble() * 360, distance);
                var target = grid.CellOf(to);
                Assert.True(set.Contains(target), $"{from} in {cell}: {to} at {distance} m lies in {target}, not in [{string.Join(", ", within)}]");
            }
        }
    }

    [Theory]
    [InlineData(0.0, 1)]
    [InlineData(37.0, 2)]
    [InlineData(-51.5, 3)]
    [InlineData(60.0, 4)]
    public void CellsWithin_is_small_at_game_radii(double latitude, int seed)
    {
        var grid = new CellGrid(200);
        var random = new Random(seed);
        var max = 0;
        for (var i = 0; i < 2_000; i++)
        {
            var cell = grid.CellOf(new GeoPoint(latitude + random.NextDouble(), (random.NextDouble() * 360) - 180));
            max = Math.Max(max, grid.CellsWithin(cell, 200).Count);
            Assert.InRange(grid.CellsWithin(cell, 70).Count, 4, 12);
        }

        Assert.InRange(max, 9, 16);
    }

    [Fact]
    public void CellsWithin_a_pole_cell_takes_whole_rows_without_duplicates()
    {
        var grid = new CellGrid(200);
        var north = new CellId(200, grid.RowCount - 1, 0);
        var cells = grid.CellsWithin(north, 200);
        Assert.Equal(cells.Count, cells.Distinct().Count());
        Assert.Contains(north, cells);
        Assert.Contains(new CellId(200, grid.RowCount - 2, grid.ColumnsInRow(grid.RowCount - 2) - 1), cells);
    }

    [Fact]
    public void CellsWithin_zero_radius_of_an_inner_cell_is_at_most_its_neighbours_sharing_an_edge_or_corner()
    {
        var grid = new CellGrid(200);
        var cell = grid.CellOf(new GeoPoint(48.85, 2.35));
        var cells = grid.CellsWithin(cell, 0);
        Assert.Contains(cell, cells);
        Assert.InRange(cells.Count, 1, 9);
    }

    private static double ParallelLength(double latitude, double widthDegrees) =>
        widthDegrees * GeoMath.MetersPerDegree * Math.Cos(GeoMath.ToRadians(latitude));

    private static IEnumerable<GeoPoint> SweepPoints(Random random, int count)
    {
        double[] specialLats = [-90, 90, 0, -0.0, 89.9999999, -89.9999999, Math.BitDecrement(90.0), Math.BitIncrement(-90.0)];
        double[] specialLons = [-180, 180, 0, -0.0, Math.BitDecrement(180.0), Math.BitIncrement(-180.0), 179.9999999, -179.9999999];
        foreach (var lat in specialLats)
        {
            foreach (var lon in specialLons)
            {
                yield return new GeoPoint(lat, lon);
            }
        }

        for (var i = 0; i < count; i++)
        {
            var lat = random.Next(5) switch
            {
                0 => (random.NextDouble() * 180) - 90,
                1 => 90 - (random.NextDouble() * 0.05),
                2 => -90 + (random.NextDouble() * 0.05),
                3 => specialLats[random.Next(specialLats.Length)],
                _ => GeoMath.ToDegrees(Math.Asin((random.NextDouble() * 2) - 1)),
            };
            var lon = random.Next(4) switch
            {
                0 => specialLons[random.Next(specialLons.Length)],
                1 => 180 - (random.NextDouble() * 0.01),
                _ => (random.NextDouble() * 360) - 180,
            };
            yield return new GeoPoint(lat, lon);
        }
    }

    private static GeoPoint RegionPoint(Random random, string region) => region switch
    {
        "midlatitudes" => new GeoPoint((random.Next(2) == 0 ? 1 : -1) * (30 + (random.NextDouble() * 30)), (random.NextDouble() * 360) - 180),
        "poles" => new GeoPoint((random.Next(2) == 0 ? 1 : -1) * (90 - (random.NextDouble() * 0.1)), (random.NextDouble() * 360) - 180),
        "antimeridian" => new GeoPoint((random.NextDouble() * 170) - 85, (random.Next(2) == 0 ? 180 : -180) + ((random.NextDouble() - 0.5) * 0.02)),
        "equator" => new GeoPoint((random.NextDouble() - 0.5) * 0.02, (random.NextDouble() * 360) - 180),
        _ => new GeoPoint(GeoMath.ToDegrees(Math.Asin((random.NextDouble() * 2) - 1)), (random.NextDouble() * 360) - 180),
    } is var p && p.Longitude is < -180 or > 180 ? p with { Longitude = GeoMath.NormalizeLongitude(p.Longitude) } : p;
}
