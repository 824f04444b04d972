using HeavyTail.Tests.Shared;

namespace HeavyTail.Analytic.Tests;

public class SeededPropertyTests
{
    [Fact]
    public void Pinned_seed_is_used_unless_the_fresh_pass_asks_for_a_random_one()
    {
        var a = new SeededPropertyAttribute { Pinned = "(5,7)" };
        Assert.Equal("(5,7)", a.Pinned);
        Assert.Equal(SeededPropertyAttribute.Fresh ? null : "(5,7)", a.Replay);
    }
}
