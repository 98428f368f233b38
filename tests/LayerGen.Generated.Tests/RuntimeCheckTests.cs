using LayerGen.TestLayers;

namespace LayerGen.Generated.Tests;

/// <summary>
/// A generated Backward checks its arguments against what the training forward recorded, on entry and by name: the
/// tape's layer instance, dOutput's shape, each gradient's shape. Without the checks these calls either give a silently
/// wrong gradient (another instance's tape) or fail deep inside a kernel (<c>ReluBackward: saved is [4, 2] …</c>).
/// </summary>
public sealed class RuntimeCheckTests
{
    [Fact]
    public void A_tape_recorded_by_another_instance_is_refused_and_nothing_is_added()
    {
        var recorder = new Dense(4, 2, 1);
        var other = new Dense(4, 2, 2);
        var tape = new Dense.Tape();
        var gradients = new Dense.Gradients(other);
        recorder.Forward(Matrix<float>.RandomNormal(3, 4, 3), tape);

        var e = Assert.Throws<InvalidOperationException>(() => other.Backward(tape, Matrix<float>.RandomNormal(3, 2, 4), gradients));
        Assert.Equal("Backward: this tape was recorded by a different Dense instance; use one tape per layer instance", e.Message);
        Assert.All(gradients.W.ToArray(), g => Assert.Equal(0f, g));
        Assert.All(gradients.B.ToArray(), g => Assert.Equal(0f, g));

        // The recorder itself, and the other instance after its own forward, are fine.
        recorder.Backward(tape, Matrix<float>.RandomNormal(3, 2, 4), new Dense.Gradients(recorder));
        other.Forward(Matrix<float>.RandomNormal(3, 4, 3), tape);
        other.Backward(tape, Matrix<float>.RandomNormal(3, 2, 4), gradients);
    }

    [Fact]
    public void A_sublayer_replaced_between_forward_and_backward_is_refused_by_its_own_call_tape()
    {
        var mlp = new Mlp(5, 6, 6, 3, 10);
        var tape = new Mlp.LossTape();
        var gradients = new Mlp.Gradients(mlp);
        mlp.Loss(Matrix<double>.RandomNormal(4, 5, 11), [0, 1, 2, 0], tape);
        mlp.Hidden1 = new Linear(5, 6, 12); // same shapes: only the instance check can tell

        var e = Assert.Throws<InvalidOperationException>(() => mlp.LossBackward(tape, gradients));
        Assert.Equal("Backward: this tape was recorded by a different Linear instance; use one tape per layer instance", e.Message);
    }

    [Fact]
    public void A_layer_tape_used_with_another_layer_names_the_generated_method()
    {
        var first = new Mlp(5, 6, 6, 3, 10);
        var second = new Mlp(5, 6, 6, 3, 20);
        var tape = new Mlp.LossTape();
        first.Loss(Matrix<double>.RandomNormal(4, 5, 11), [0, 1, 2, 0], tape);

        var e = Assert.Throws<InvalidOperationException>(() => second.LossBackward(tape, new Mlp.Gradients(second)));
        Assert.Equal("LossBackward: this tape was recorded by a different Mlp instance; use one tape per layer instance", e.Message);
    }

    [Fact]
    public void A_dOutput_of_the_wrong_shape_is_reported_on_entry_by_name()
    {
        var dense = new Dense(4, 2, 1);
        var tape = new Dense.Tape();
        dense.Forward(Matrix<float>.RandomNormal(3, 4, 2), tape);

        var e = Assert.Throws<ArgumentException>(() => dense.Backward(tape, Matrix<float>.RandomNormal(4, 2, 3), new Dense.Gradients(dense)));
        Assert.IsType<ArgumentException>(e); // not a ShapeMismatchException from inside a kernel
        Assert.Equal("dOutput", e.ParamName);
        Assert.StartsWith("Backward: dOutput is [4, 2] but the forward result was [3, 2]", e.Message);
    }

    [Fact]
    public void Gradients_made_for_a_differently_shaped_layer_are_reported_on_entry_by_name()
    {
        var dense = new Dense(4, 2, 1);
        var tape = new Dense.Tape();
        dense.Forward(Matrix<float>.RandomNormal(3, 4, 2), tape);
        var wrong = new Dense.Gradients(new Dense(5, 2, 3));

        var e = Assert.Throws<ArgumentException>(() => dense.Backward(tape, Matrix<float>.RandomNormal(3, 2, 3), wrong));
        Assert.IsType<ArgumentException>(e); // not MatMul's ShapeMismatchException
        Assert.Equal("gradients", e.ParamName);
        Assert.StartsWith("Backward: gradients.W is [5, 2] but this Dense's W is [4, 2]; make the gradients for this layer (new Dense.Gradients(layer))", e.Message);
        Assert.All(wrong.B.ToArray(), g => Assert.Equal(0f, g)); // refused before anything was added
    }

    [Fact]
    public void A_sublayer_checks_its_own_gradients()
    {
        var mlp = new Mlp(5, 6, 6, 3, 10);
        var tape = new Mlp.LossTape();
        mlp.Loss(Matrix<double>.RandomNormal(4, 5, 11), [0, 1, 2, 0], tape);
        var wrong = new Mlp.Gradients(new Mlp(5, 6, 6, 4, 10)); // Output is [6, 4] there, [6, 3] here

        var e = Assert.Throws<ArgumentException>(() => mlp.LossBackward(tape, wrong));
        Assert.StartsWith("Backward: gradients.W is [6, 4] but this Linear's W is [6, 3]", e.Message);
    }

    [Fact]
    public void A_forward_that_throws_leaves_no_recording_for_backward()
    {
        var dense = new Dense(4, 2, 1);
        var tape = new Dense.Tape();
        dense.Forward(Matrix<float>.RandomNormal(3, 4, 2), tape);
        Assert.ThrowsAny<ArgumentException>(() => dense.Forward(Matrix<float>.RandomNormal(3, 5, 2), tape)); // D mismatch

        var e = Assert.Throws<InvalidOperationException>(() => dense.Backward(tape, Matrix<float>.RandomNormal(3, 2, 3), new Dense.Gradients(dense)));
        Assert.Equal("Backward: the tape holds no forward pass; call Forward(…, tape) first.", e.Message);
    }
}
