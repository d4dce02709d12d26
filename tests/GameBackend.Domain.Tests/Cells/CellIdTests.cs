using GameBackend.Domain.Cells;

namespace GameBackend.Domain.Tests.Cells;

public sealed class CellIdTests
{
    [Theory]
    [InlineData(200, 0, 0, "200:0:0")]
    [InlineData(200, 55_000, 123_456, "200:55000:123456")]
    [InlineData(int.MaxValue, int.MaxValue, int.MaxValue, "2147483647:2147483647:2147483647")]
    public void Text_form_round_trips(int size, int row, int col, string text)
    {
        var cell = new CellId(size, row, col);
        Assert.Equal(text, cell.ToString());
        Assert.True(CellId.TryParse(text, out var parsed));
        Assert.Equal(cell, parsed);
        Assert.Equal(cell, CellId.Parse(text));
    }

    [Fact]
    public void Every_cell_of_a_grid_round_trips()
    {
        var grid = new CellGrid(200);
        var random = new Random(3);
        for (var i = 0; i < 2_000; i++)
        {
            var row = random.Next(grid.RowCount);
            var cell = new CellId(200, row, random.Next(grid.ColumnsInRow(row)));
            Assert.True(CellId.TryParse(cell.ToString(), out var parsed));
            Assert.Equal(cell, parsed);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("a:b:c")]
    [InlineData("200:1")]
    [InlineData("200:1:2:3")]
    [InlineData("200:1:")]
    [InlineData(":1:2")]
    [InlineData("200::2")]
    [InlineData("-200:1:2")]
    [InlineData("200:-1:2")]
    [InlineData("200:1:-2")]
    [InlineData("+200:1:2")]
    [InlineData(" 200:1:2")]
    [InlineData("200:1:2 ")]
    [InlineData("200:1:2\n")]
    [InlineData("200.0:1:2")]
    [InlineData("2e2:1:2")]
    [InlineData("0x10:1:2")]
    [InlineData("200:2147483648:2")]
    [InlineData("200:1:99999999999999999999")]
    [InlineData("200;1;2")]
    [InlineData("٢٠٠:1:2")]
    public void Garbage_is_rejected(string? text)
    {
        Assert.False(CellId.TryParse(text, out var cell));
        Assert.Equal(default, cell);
        if (text is not null)
        {
            Assert.Throws<FormatException>(() => CellId.Parse(text));
        }
    }

    [Theory]
    [InlineData("0200:1:2")]
    [InlineData("200:01:2")]
    [InlineData("200:1:002")]
    public void Non_canonical_text_is_rejected(string text)
    {
        // The text is a grain key: "200:01:2" and "200:1:2" must not name two grains for one cell.
        Assert.False(CellId.TryParse(text, out _));
    }
}
