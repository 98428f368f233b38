using System.Collections.Generic;

namespace LayerGen.Generator.Planning;

/// <summary>
/// The storage plan of one branch: the tape fields that record which arm ran and hold each arm's tape, and the zero
/// ∂L/∂result buffers of results nothing after the branch reads.
/// </summary>
/// <param name="TakenField">The outer tape's record of the condition: true when the then arm ran.</param>
/// <param name="ThenTapeField">The then arm's tape.</param>
/// <param name="ElseTapeField">The else arm's tape.</param>
/// <param name="ThenTapeType">The then arm's tape type, <c>global::</c>-qualified.</param>
/// <param name="ElseTapeType">The else arm's tape type.</param>
/// <param name="Taken">Local (forward): the condition's value.</param>
/// <param name="Results">The LoopResult value of each result (−1 when none).</param>
internal sealed record BranchPlan(
    string TakenField,
    string ThenTapeField,
    string ElseTapeField,
    string ThenTapeType,
    string ElseTapeType,
    string Taken,
    int[] Results)
{
    /// <summary>Per result position whose result nothing reads (a matrix): its zero ∂L/∂result buffer.</summary>
    public Dictionary<int, string> ZeroResultFields { get; } = new();
}
