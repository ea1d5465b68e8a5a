using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace MePropNative.Experiments;

/// <summary>A line series of a plot.</summary>
public sealed record Series(string Title, IReadOnlyList<(double X, double Y)> Points);

/// <summary>A 2-D line plot rendered by gnuplot (Debian's gnuplot-nox, installed by build.sh) as PNG and SVG.</summary>
public sealed record Plot(string FileStem, string Title, string XLabel, string YLabel, IReadOnlyList<Series> Series, bool LogX = false)
{
    /// <summary>Writes STEM.dat, STEM.gp, STEM.png and STEM.svg into <paramref name="folder"/>; false when gnuplot is missing or fails.</summary>
    public bool Render(string folder, Action<string>? log = null)
    {
        Directory.CreateDirectory(folder);
        var inv = CultureInfo.InvariantCulture;
        var dat = new StringBuilder();
        foreach (var s in Series)
        {
            dat.AppendLine($"# {s.Title}");
            foreach (var (x, y) in s.Points) dat.AppendLine(string.Create(inv, $"{x} {y}"));
            dat.AppendLine().AppendLine();
        }
        File.WriteAllText(Path.Combine(folder, FileStem + ".dat"), dat.ToString());

        string Q(string s) => "\"" + s.Replace("\"", "'") + "\"";
        var gp = new StringBuilder();
        gp.AppendLine($"set title {Q(Title)}");
        gp.AppendLine($"set xlabel {Q(XLabel)}");
        gp.AppendLine($"set ylabel {Q(YLabel)}");
        gp.AppendLine("set grid");
        gp.AppendLine("set key bottom right");
        if (LogX) gp.AppendLine("set logscale x 2");
        string plotLine = "plot " + string.Join(", ", Series.Select((s, i) => $"{Q(FileStem + ".dat")} index {i} with linespoints lw 2 pt 7 title {Q(s.Title)}"));
        gp.AppendLine("set terminal pngcairo size 800,500 font \"DejaVu Sans,10\"");
        gp.AppendLine($"set output {Q(FileStem + ".png")}");
        gp.AppendLine(plotLine);
        gp.AppendLine("set terminal svg size 800,500 dynamic font \"DejaVu Sans,10\"");
        gp.AppendLine($"set output {Q(FileStem + ".svg")}");
        gp.AppendLine(plotLine);
        gp.AppendLine("unset output");
        File.WriteAllText(Path.Combine(folder, FileStem + ".gp"), gp.ToString());

        try
        {
            var psi = new ProcessStartInfo("gnuplot", FileStem + ".gp") { WorkingDirectory = folder, RedirectStandardError = true, UseShellExecute = false };
            using var p = Process.Start(psi)!;
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) { log?.Invoke($"gnuplot failed on {FileStem}: {err}"); return false; }
            return true;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            log?.Invoke("gnuplot is not installed (apt-get install gnuplot-nox): plots skipped, their data is in the .dat files");
            return false;
        }
    }
}
