using System.Collections.Generic;

namespace LayerGen.Generator.Planning;

/// <summary>
/// The storage plan of one loop: the tape fields that hold its per-iteration tapes and bounds, and the locals and
/// buffers its backward walks the iterations with (carried adjoints, gradients summed over iterations).
/// </summary>
/// <param name="TapesField">The outer tape's list of per-iteration tapes.</param>
/// <param name="StartField">The recorded first value of the loop variable.</param>
/// <param name="CountField">The recorded number of iterations.</param>
/// <param name="TapeType">The region's tape type, <c>global::</c>-qualified.</param>
/// <param name="Tapes">Local: the list of tapes.</param>
/// <param name="Start">Local: the first value of the loop variable.</param>
/// <param name="End">Local: the bound (exclusive).</param>
/// <param name="Count">Local: the number of iterations (backward).</param>
/// <param name="Index">Local: the loop variable (forward).</param>
/// <param name="Step">Local: the iteration walked back (backward).</param>
/// <param name="StepGradients">Local: what one iteration's backward returns.</param>
/// <param name="Results">The LoopResult value of each carried variable (−1 when none).</param>
internal sealed record LoopPlan(
    string TapesField,
    string StartField,
    string CountField,
    string TapeType,
    string Tapes,
    string Start,
    string End,
    string Count,
    string Index,
    string Step,
    string StepGradients,
    int[] Results)
{
    /// <summary>Per carried variable (by result position): the local holding its adjoint while walking back.</summary>
    public Dictionary<int, string> CarriedAdjoints { get; } = new();

    /// <summary>Per carried variable whose result nothing reads: a zero dOutput buffer.</summary>
    public Dictionary<int, string> ZeroResultFields { get; } = new();

    /// <summary>Per operand position of a value or sequence read by the body: the local its gradient is summed into.</summary>
    public Dictionary<int, string> Accumulators { get; } = new();

    /// <summary>Per matrix or sequence accumulator: its tape buffer (a matrix, or the list of element gradients).</summary>
    public Dictionary<int, string> AccumulatorFields { get; } = new();

    /// <summary>Per sequence: the zero gradients of the elements the loop did not visit.</summary>
    public Dictionary<int, string> ZeroItemFields { get; } = new();

    /// <summary>A while loop: the local holding whether to run another iteration (forward).</summary>
    public string Again { get; set; } = "";

    /// <summary>Per output list (by its position in <c>LoopFacts.Emits</c>): the tape's list of items, reused.</summary>
    public List<string> EmitFields { get; } = new();

    /// <summary>Per output list: the local holding one iteration's item (forward).</summary>
    public List<string> EmitItems { get; } = new();

    /// <summary>Per output list whose items nothing differentiates: a zero ∂L/∂item buffer.</summary>
    public Dictionary<int, string> ZeroEmitFields { get; } = new();
}
