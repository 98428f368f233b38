using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using LayerGen.Generator.Parsing;
using Microsoft.CodeAnalysis;

namespace LayerGen.Generator;

/// <summary>
/// One parse per <c>[Forward]</c> method per compilation, shared by <see cref="ForwardAnalyzer"/> and
/// <see cref="ShapeAnalyzer"/>: whichever analyzer reaches a method first parses it, the other reuses the result.
/// </summary>
/// <remarks>
/// Keyed weakly by the compilation (a new compilation per edit starts afresh) and by the method symbol, whose body
/// operation is the same for both analyzers. A parse cancelled midway is not cached.
/// </remarks>
internal static class SharedParse
{
    /// <summary>A method's parse and the <c>[Forward]</c> calls it makes (for LG0006).</summary>
    internal sealed record Entry(ParseResult Result, IReadOnlyList<(IMethodSymbol Callee, Location Location)> Calls);

    private sealed class PerCompilation
    {
        public readonly ConcurrentDictionary<IMethodSymbol, Entry> Entries = new(SymbolEqualityComparer.Default);
        public int Parses;
    }

    private static readonly ConditionalWeakTable<Compilation, PerCompilation> Cache = new();

    /// <summary>The parse of <paramref name="method"/> in <paramref name="compilation"/>, computed at most once (barring races).</summary>
    public static Entry Get(Compilation compilation, IMethodSymbol method, IOperation? body, CancellationToken cancellationToken)
    {
        var cache = Cache.GetValue(compilation, static _ => new PerCompilation());
        if (cache.Entries.TryGetValue(method, out var entry))
            return entry;
        var calls = new List<(IMethodSymbol, Location)>();
        var result = ForwardParser.Parse(method, body, cancellationToken, calls);
        Interlocked.Increment(ref cache.Parses);
        return cache.Entries.GetOrAdd(method, new Entry(result, calls));
    }

    /// <summary>How many parses ran for <paramref name="compilation"/> (for tests).</summary>
    internal static int ParsesFor(Compilation compilation) => Cache.TryGetValue(compilation, out var cache) ? cache.Parses : 0;

    /// <summary>Tests only: when set, <see cref="ForwardParser.Parse"/> counts its parses per the method's assembly name.</summary>
    internal static ConcurrentDictionary<string, int>? ParsesByAssembly;
}
