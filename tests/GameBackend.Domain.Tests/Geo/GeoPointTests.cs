using GameBackend.Domain.Geo;

namespace GameBackend.Domain.Tests.Geo;

public sealed class GeoPointTests
{
    [Theory]
    [InlineData(0, 0, true)]
    [InlineData(90, 180, true)]
    [InlineData(-90, -180, true)]
    [InlineData(90.0000001, 0, false)]
    [InlineData(0, -180.0000001, false)]
    [InlineData(double.NaN, 0, false)]
    [InlineData(0, double.PositiveInfinity, false)]
    public void Validity(double lat, double lon, bool valid)
    {
        Assert.Equal(valid, new GeoPoint(lat, lon).IsValid);
    }

    [Fact]
    public void Text_form_is_invariant_with_six_decimals()
    {
        Assert.Equal("(48.856600, -0.127800)", new GeoPoint(48.8566, -0.1278).ToString());
    }
}
