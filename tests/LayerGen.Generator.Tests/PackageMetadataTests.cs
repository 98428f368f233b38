using System.Reflection;
using System.Xml.Linq;
using LayerGen.Generator.Emit;
using Microsoft.CodeAnalysis;

namespace LayerGen.Generator.Tests;

/// <summary>
/// The package explains itself: one repository URL for the package page, the source link and every diagnostic's
/// help link; each help link names a page that ships in <c>docs/diagnostics/</c>; the package has a readme; and
/// <c>[GeneratedCode]</c> carries the package version.
/// </summary>
public sealed class PackageMetadataTests
{
    private static readonly string Root = TestSources.Metadata("RepositoryRoot");

    private static string BuildProperty(string name)
    {
        var props = XDocument.Load(Path.Combine(Root, "Directory.Build.props"));
        var element = props.Descendants(name).SingleOrDefault();
        Assert.True(element is not null, $"Directory.Build.props defines no <{name}>");
        return element!.Value.Trim();
    }

    private static IEnumerable<DiagnosticDescriptor> AllDescriptors()
        => typeof(DiagnosticDescriptors).GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!);

    [Fact]
    public void ProjectUrl_RepositoryUrl_AndHelpLinks_NameOneRepository()
    {
        string repository = BuildProperty("RepositoryUrl");
        Assert.StartsWith("https://github.com/", repository);
        Assert.Equal(repository, BuildProperty("PackageProjectUrl"));
        var descriptors = AllDescriptors().ToList();
        Assert.True(descriptors.Count >= 20, $"only {descriptors.Count} descriptors found");
        Assert.All(descriptors, d => Assert.Equal($"{repository}/blob/main/docs/diagnostics/{d.Id}.md", d.HelpLinkUri));
    }

    [Fact]
    public void EveryHelpLink_NamesAPageThatShips()
    {
        Assert.All(AllDescriptors(), d =>
        {
            string page = Path.Combine(Root, "docs", "diagnostics", d.Id + ".md");
            Assert.True(File.Exists(page), $"{d.Id}'s help link points at docs/diagnostics/{d.Id}.md, which does not exist");
            Assert.Contains(d.Id, File.ReadAllText(page));
        });
    }

    [Fact]
    public void GeneratedCodeVersion_IsThePackageVersion()
    {
        Assert.Equal(BuildProperty("Version"), Emitter.Version);
        string informational = typeof(Emitter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.Equal(Emitter.Version, informational.Split('+')[0]);
    }

    [Fact]
    public void ThePackage_HasAReadme()
    {
        var project = XDocument.Load(Path.Combine(Root, "src", "LayerGen", "LayerGen.csproj"));
        Assert.Equal("README.md", project.Descendants("PackageReadmeFile").Single().Value);
        var packed = project.Descendants("None").Single(e => (string?)e.Attribute("PackagePath") == "README.md");
        string readme = File.ReadAllText(Path.Combine(Root, "src", "LayerGen", (string)packed.Attribute("Include")!));
        Assert.Contains("EmitCompilerGeneratedFiles", readme);
        Assert.Contains(BuildProperty("RepositoryUrl"), readme);
    }
}
