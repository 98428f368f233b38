using System.Collections.Generic;
using LayerGen.Generator.Model;

namespace LayerGen.Generator.Parsing;

/// <summary>
/// Something wrong with a <c>[Forward]</c> method, as data: the diagnostic id, its message arguments and where it is
/// (file path and span, converted to a <c>Location</c> only by the analyzer).
/// </summary>
/// <remarks>A model type: holds no Roslyn symbol, syntax node, location or compilation.</remarks>
/// <param name="Id">The diagnostic id (<c>LG0002</c>).</param>
/// <param name="Arguments">The message arguments, in order.</param>
/// <param name="FilePath">The file.</param>
/// <param name="Start">Span start.</param>
/// <param name="Length">Span length.</param>
internal sealed record Problem(string Id, EquatableArray<string> Arguments, string FilePath, int Start, int Length);

/// <summary>What the parser returns: the model (null when the method cannot be generated) and the problems found.</summary>
/// <param name="Model">The model; its <see cref="ForwardMethodModel.Body"/> is null when there are errors.</param>
/// <param name="Problems">Errors and warnings, for the analyzer (the generator ignores them).</param>
/// <param name="ValueSpans">Where each value was read or defined (file path, start, length), for LG0005; analyzer only.</param>
/// <param name="RegionSpans">The same per loop body (region), by region name; null for straight-line code.</param>
internal sealed record ParseResult(ForwardMethodModel? Model, IReadOnlyList<Problem> Problems, IReadOnlyDictionary<int, (string Path, int Start, int Length)> ValueSpans,
    IReadOnlyDictionary<string, IReadOnlyDictionary<int, (string Path, int Start, int Length)>>? RegionSpans = null);
