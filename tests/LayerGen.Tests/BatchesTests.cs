namespace LayerGen.Tests;

/// <summary><see cref="Batches{T}"/>: every row once per epoch, seeded order, partial last batch kept or dropped, 0 B per batch.</summary>
public sealed class BatchesTests
{
    /// <summary>Row i of the features is [i, 10·i]; label i is i: a batch shows which rows it copied.</summary>
    private static (Matrix<float> Features, int[] Labels) Data(int rows)
    {
        var features = new Matrix<float>(rows, 2);
        for (int i = 0; i < rows; i++)
        {
            features[i, 0] = i;
            features[i, 1] = 10 * i;
        }
        return (features, Enumerable.Range(0, rows).ToArray());
    }

    private static List<int[]> Visit(Batches<float> batches, int epoch)
    {
        var seen = new List<int[]>();
        foreach (var batch in batches.Epoch(epoch))
        {
            for (int r = 0; r < batch.Rows; r++)
            {
                Assert.Equal(batch.Labels![r], (int)batch.Features[r, 0]);
                Assert.Equal(10 * batch.Labels[r], (int)batch.Features[r, 1]);
            }
            seen.Add(batch.Labels!.ToArray());
        }
        return seen;
    }

    [Fact]
    public void EveryRowOncePerEpoch_WithThePartialLastBatchKept()
    {
        var (x, y) = Data(10);
        var batches = new Batches<float>(x, y, batchSize: 4, seed: 3);
        Assert.Equal(3, batches.Count);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var seen = Visit(batches, epoch);
            Assert.Equal([4, 4, 2], seen.Select(b => b.Length));
            Assert.Equal(Enumerable.Range(0, 10), seen.SelectMany(b => b).Order());
        }
    }

    [Fact]
    public void DropLast_SkipsThePartialBatch()
    {
        var (x, y) = Data(10);
        var batches = new Batches<float>(x, y, batchSize: 4, seed: 3, LastBatch.Drop);
        Assert.Equal(2, batches.Count);
        Assert.Equal(8, batches.RowsPerEpoch);
        var seen = Visit(batches, 0);
        Assert.Equal([4, 4], seen.Select(b => b.Length));
        Assert.Equal(8, seen.SelectMany(b => b).Distinct().Count());
    }

    [Fact]
    public void SameSeedAndEpoch_SameOrder_OtherEpochOrSeed_OtherOrder()
    {
        var (x, y) = Data(50);
        var a = new Batches<float>(x, y, 8, seed: 1);
        var b = new Batches<float>(x, y, 8, seed: 1);
        var c = new Batches<float>(x, y, 8, seed: 2);
        var a1 = Visit(a, 1).SelectMany(r => r).ToArray();
        Assert.Equal(a1, Visit(b, 1).SelectMany(r => r));
        Assert.NotEqual(a1, Visit(a, 2).SelectMany(r => r));
        Assert.NotEqual(a1, Visit(c, 1).SelectMany(r => r));
        // An epoch's order depends on the epoch number alone, not on the epochs run before it (resuming).
        Assert.Equal(a1, Visit(a, 1).SelectMany(r => r));
        Assert.NotEqual(Enumerable.Range(0, 50), a1);
    }

    [Fact]
    public void WithoutSeed_RowsInOrder()
    {
        var (x, y) = Data(7);
        var batches = new Batches<float>(x, y, 3, seed: null);
        Assert.Equal(Enumerable.Range(0, 7), Visit(batches, 5).SelectMany(r => r));
    }

    [Fact]
    public void FeaturesOnly_HasNoLabels()
    {
        var (x, _) = Data(5);
        var batches = new Batches<float>(x, null, 2, seed: 4);
        int rows = 0;
        foreach (var batch in batches.Epoch(0))
        {
            Assert.Null(batch.Labels);
            rows += batch.Rows;
        }
        Assert.Equal(5, rows);
    }

    [Fact]
    public void ABatch_AllocatesNothing()
    {
        var x = Matrix<float>.RandomNormal(1000, 64, 1);
        var y = new int[1000];
        var batches = new Batches<float>(x, y, batchSize: 64, seed: 9);   // 15 full batches and one of 40 rows
        float sum = 0;
        foreach (var batch in batches.Epoch(0))
            sum += batch.Features[0, 0];   // warm-up: JIT
        var epoch = batches.Epoch(1);
        long before = GC.GetAllocatedBytesForCurrentThread();
        int count = 0;
        foreach (var batch in epoch)
        {
            sum += batch.Features[0, 0] + batch.Labels![0];
            count++;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(16, count);
        Assert.Equal(0, allocated);
        Assert.True(float.IsFinite(sum));
    }

    [Fact]
    public void BadArguments_AreRejected()
    {
        var (x, y) = Data(4);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Batches<float>(x, y, 0, 1));
        var e = Assert.Throws<ArgumentException>(() => new Batches<float>(x, y[..3], 2, 1));
        Assert.Contains("3 labels for 4 rows", e.Message);
    }
}
