package org.k200emu.cli.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.k200emu.bench.result.Comparison;
import org.k200emu.bench.result.ResultFiles;
import org.k200emu.bench.result.SessionResult;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code k200 bench compare A.json B.json}: the two sessions side by side, with B/A ratios. */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Print two benchmark result files side by side, job by job, with the ratio B/A.")
final class BenchCompareCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "A.json", description = "The baseline result file.")
    Path a;

    @Parameters(index = "1", paramLabel = "B.json", description = "The result file compared with it.")
    Path b;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        SessionResult left = ResultFiles.readJson(a);
        SessionResult right = ResultFiles.readJson(b);
        spec.commandLine().getOut().print(Comparison.table(left, label(a), right, label(b)));
        spec.commandLine().getOut().flush();
        return 0;
    }

    private static String label(Path p) {
        String n = p.getFileName().toString();
        return n.endsWith(".json") ? n.substring(0, n.length() - 5) : n;
    }
}
