using LayerGen.Generated.Tests.CollectionLayers;
using static LayerGen.TestSupport.LayerGradientCheck;

namespace LayerGen.Generated.Tests;

/// <summary>Collections of sublayers: gradients mirror them, parameter names index them, loops over them are exact.</summary>
public sealed class CollectionTests
{
    [Fact]
    public void Stack_ForeachOverAnArray_ForOverAList_GradientCheck() => Check(new Stack(), [Normal(4, 3, 1)]);

    [Fact]
    public void IndexedElements_OutsideALoop_WithANoGradInput_GetTheirParameterGradients() => Check(new IndexedBlocks(), [Normal(4, 3, 2)]);

    [Fact]
    public void Gradients_MirrorTheCollections_AndParameterNamesIndexThem()
    {
        var stack = new Stack();
        var gradients = new Stack.Gradients(stack);
        Assert.Equal(3, gradients.Blocks.Count);
        Assert.Equal(2, gradients.More.Count);
        Assert.Equal(
            ["Out", "Blocks[0].W", "Blocks[0].B", "Blocks[1].W", "Blocks[1].B", "Blocks[2].W", "Blocks[2].B", "More[0].W", "More[0].B", "More[1].W", "More[1].B"],
            stack.Parameters(gradients).Select(p => p.Name).ToArray());
        var parameter = stack.Parameters(gradients).Single(p => p.Name == "Blocks[1].W");
        Assert.Same(stack.Blocks[1].W, parameter.Value);
        Assert.Same(gradients.Blocks[1].W, parameter.Gradient);

        var tape = new Stack.Tape();
        stack.Forward(Normal(4, 3, 3), tape);
        stack.Backward(tape, Normal(4, 2, 4), gradients);
        Assert.NotEqual(0, gradients.More[1].W[0, 0]);
        gradients.Clear();
        Assert.All(stack.Parameters(gradients), p => Assert.Equal(0, Ops.SumOfSquares(p.Gradient)));
    }

    [Fact]
    public void A_block_added_after_the_gradients_were_made_is_a_clear_error()
    {
        var stack = new Stack();
        var gradients = new Stack.Gradients(stack);
        stack.More.Add(new Block(3, 40));
        var tape = new Stack.Tape();
        stack.Forward(Normal(4, 3, 5), tape);
        var e = Assert.Throws<InvalidOperationException>(() => stack.Backward(tape, Normal(4, 2, 6), gradients));
        Assert.Contains("More holds 3 sublayers but the gradients were made for 2", e.Message);
        Assert.Throws<InvalidOperationException>(() => stack.Parameters(gradients));
    }

    [Fact]
    public void StackTrainingStep_AllocatesNothing_AndLearns()
    {
        var layer = new FloatStack();
        var tape = new FloatStack.LossTape();
        var gradients = new FloatStack.Gradients(layer);
        var optimizer = new Adam<float>(layer.Parameters(gradients), 0.01);
        var x = Matrix<float>.RandomNormal(16, 8, 6);
        int[] labels = [0, 1, 2, 3, 3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0];
        float first = 0, last = 0;
        void Step()
        {
            gradients.Clear();
            last = layer.Loss(x, labels, tape);
            layer.LossBackward(tape, gradients);
            optimizer.Step();
        }
        Step();
        first = last;
        Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Step();
        Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        for (int k = 0; k < 150; k++)
            Step();
        Assert.True(last < first * 0.5f, $"loss {first} → {last}");
    }
}
