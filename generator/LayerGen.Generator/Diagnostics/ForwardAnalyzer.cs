using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using LayerGen.Generator.Differentiation;
using LayerGen.Generator.Model;
using LayerGen.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace LayerGen.Generator;

/// <summary>
/// Reports every <c>LG0xxx</c> diagnostic for <c>[Forward]</c> methods. It runs the generator's own parser
/// (<see cref="ForwardParser.Parse"/>), so what it accepts is exactly what the generator generates.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ForwardAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.TypeNotPartial,
        DiagnosticDescriptors.UnsupportedConstruct,
        DiagnosticDescriptors.NoDerivative,
        DiagnosticDescriptors.InvalidForwardSignature,
        DiagnosticDescriptors.InputHasNoEffect,
        DiagnosticDescriptors.ForwardRecursion,
        DiagnosticDescriptors.UnsupportedElementType,
        DiagnosticDescriptors.InvalidRegisteredBackward,
        DiagnosticDescriptors.CallOfInvalidRegisteredOp,
        DiagnosticDescriptors.ScalarFieldIsConstant);

    /// <summary>Diagnostic property (LG0008, backward missing): the backward's name, for the code fix that writes its stub.</summary>
    public const string BackwardNameProperty = "BackwardName";

    /// <summary>Diagnostic property (LG0008, backward missing): the ordinals of the op's differentiable parameters (<c>0,2</c>).</summary>
    public const string DifferentiableParametersProperty = "DifferentiableParameters";

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            if (start.Compilation.GetTypeByMetadataName(Symbols.ForwardAttributeName) is null)
                return;

            // Calls between [Forward] methods, for the recursion check at the end of the compilation.
            var calls = new ConcurrentDictionary<IMethodSymbol, List<(IMethodSymbol Callee, Location Location)>>(SymbolEqualityComparer.Default);
            // LG0001 is about the type: report it once, however many [Forward] methods the type has.
            var reportedTypes = new ConcurrentDictionary<(string Path, int Start), bool>();

            start.RegisterOperationBlockAction(block =>
            {
                if (block.OwningSymbol is not IMethodSymbol method || !Symbols.IsForward(method))
                    return;
                var body = block.OperationBlocks.FirstOrDefault(o => o is Microsoft.CodeAnalysis.Operations.IMethodBodyOperation or Microsoft.CodeAnalysis.Operations.IBlockOperation);
                ParseResult result;
                List<(IMethodSymbol Callee, Location Location)> methodCalls;
                try
                {
                    var shared = SharedParse.Get(block.Compilation, method, body, block.CancellationToken);
                    result = shared.Result;
                    methodCalls = new List<(IMethodSymbol Callee, Location Location)>(shared.Calls);
                }
                catch (OperationCanceledException)
                {
                    throw;
                }
                catch (Exception)
                {
                    // Never crash the IDE on half-typed code.
                    return;
                }
                calls[method.OriginalDefinition] = methodCalls;
                var compilation = block.Compilation;

                foreach (var problem in result.Problems)
                {
                    if (problem.Id == "LG0001" && !reportedTypes.TryAdd((problem.FilePath, problem.Start), true))
                        continue;
                    if (DiagnosticDescriptors.ById(problem.Id) is { } descriptor)
                        block.ReportDiagnostic(Diagnostic.Create(descriptor, ToLocation(compilation, problem.FilePath, problem.Start, problem.Length, method), problem.Arguments.ToArray<object>()));
                }

                // Direct recursion is reported at once; cycles through other methods at compilation end.
                foreach (var (callee, location) in methodCalls)
                {
                    if (SymbolEqualityComparer.Default.Equals(callee, method.OriginalDefinition))
                        block.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.ForwardRecursion, location, method.Name, "a direct call"));
                }

                // LG0005: differentiable inputs and parameter reads the result cannot depend on.
                if (result.Model?.Body is { } forwardBody)
                    ReportNoEffect(block, compilation, method, forwardBody, result);
            });

            // A [Forward] method without a body (abstract, extern, interface) has no operation block to analyze.
            start.RegisterSymbolAction(static symbol =>
            {
                if (symbol.Symbol is IMethodSymbol { IsAbstract: true } or IMethodSymbol { IsExtern: true }
                    && Symbols.IsForward((IMethodSymbol)symbol.Symbol))
                {
                    var method = (IMethodSymbol)symbol.Symbol;
                    symbol.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InvalidForwardSignature,
                        method.Locations.FirstOrDefault(), method.Name, "has no body to differentiate (abstract or extern)"));
                }
            }, SymbolKind.Method);

            // LG0008: a [Differentiable] registration is checked at its attribute, whether or not anything calls it.
            start.RegisterSymbolAction(static symbol =>
            {
                if (symbol.Symbol is not IMethodSymbol op || RegisteredOps.AttributeOf(op) is not { } attribute)
                    return;
                RegisteredOps.Registration registration;
                try
                {
                    registration = RegisteredOps.Resolve(op);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    return; // never crash the IDE on half-typed code
                }
                if (registration.Error is null)
                    return;
                var location = attribute.ApplicationSyntaxReference?.GetSyntax(symbol.CancellationToken).GetLocation()
                    ?? op.Locations.FirstOrDefault() ?? Location.None;
                var properties = registration.MissingBackward
                    ? ImmutableDictionary<string, string?>.Empty
                        .Add(BackwardNameProperty, registration.BackwardName)
                        .Add(DifferentiableParametersProperty, string.Join(",",
                            RegisteredOps.DifferentiableParameters(op, Symbols.ElementTypeOf(op)).Select(p => p.Ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture))))
                    : ImmutableDictionary<string, string?>.Empty;
                symbol.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InvalidRegisteredBackward, location, properties,
                    op.ContainingType.Name + "." + op.Name, registration.Error, registration.ExpectedSignature));
            }, SymbolKind.Method);

            start.RegisterCompilationEndAction(end =>
            {
                foreach (var entry in calls)
                {
                    foreach (var (callee, location) in entry.Value)
                    {
                        if (SymbolEqualityComparer.Default.Equals(callee, entry.Key))
                            continue; // reported as direct recursion
                        if (Reaches(calls, callee, entry.Key, new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default)))
                            end.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.ForwardRecursion, location, entry.Key.Name, $"'{callee.ContainingType.Name}.{callee.Name}'"));
                    }
                }
            });
        });
    }

    private static bool Reaches(ConcurrentDictionary<IMethodSymbol, List<(IMethodSymbol Callee, Location Location)>> calls,
        IMethodSymbol from, IMethodSymbol target, HashSet<IMethodSymbol> visited)
    {
        if (SymbolEqualityComparer.Default.Equals(from, target))
            return true;
        if (!visited.Add(from) || !calls.TryGetValue(from, out var next))
            return false;
        return next.Any(c => Reaches(calls, c.Callee, target, visited));
    }

    private static void ReportNoEffect(OperationBlockAnalysisContext block, Compilation compilation, IMethodSymbol method, ForwardBody body, ParseResult result)
    {
        var activity = Activity.Analyze(body);
        foreach (var instruction in body.Instructions)
        {
            int v = instruction.Result;
            bool candidate = instruction.Op switch
            {
                OpKind.Input => body.Values[v].IsVaried,
                OpKind.Parameter => true,
                _ => false,
            };
            if (!candidate || activity.Useful[v])
                continue;
            var location = result.ValueSpans.TryGetValue(v, out var span)
                ? ToLocation(compilation, span.Path, span.Start, span.Length, method)
                : method.Locations.FirstOrDefault() ?? Location.None;
            block.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InputHasNoEffect, location, instruction.Text, method.Name));
        }
    }

    private static Location ToLocation(Compilation compilation, string path, int start, int length, IMethodSymbol fallback)
    {
        foreach (var tree in compilation.SyntaxTrees)
        {
            if (tree.FilePath == path)
                return Location.Create(tree, new TextSpan(start, length));
        }
        return fallback.Locations.FirstOrDefault() ?? Location.None;
    }
}
