package org.k200emu.bench.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobFileTest {

    private static List<JobSpec> parse(String text) throws JobException {
        return JobFile.parse(text, "jobs.fio", Map.of());
    }

    private static List<JobSpec> parse(String text, Map<String, String> overrides) throws JobException {
        return JobFile.parse(text, "jobs.fio", overrides);
    }

    private static String lines(String... lines) {
        return String.join("\n", lines) + "\n";
    }

    @Test
    void globalGivesDefaultsToEveryJob() throws JobException {
        List<JobSpec> jobs = parse(lines(
                "[global]",
                "bs=4k",
                "runtime=30",
                "",
                "[a]",
                "rw=randread",
                "[b]",
                "rw=randwrite",
                "bs=8k"));
        assertThat(jobs).extracting(JobSpec::name).containsExactly("a", "b");
        assertThat(jobs.get(0).blockSize()).isEqualTo(4096);
        assertThat(jobs.get(0).runtime()).isEqualTo(Duration.ofSeconds(30));
        assertThat(jobs.get(1).blockSize()).isEqualTo(8192);
        assertThat(jobs.get(1).runtime()).isEqualTo(Duration.ofSeconds(30));
        assertThat(jobs.get(1).options()).containsExactly(Map.entry("rw", "randwrite"), Map.entry("bs", "8k"),
                Map.entry("runtime", "30"));
    }

    @Test
    void laterGlobalUpdatesDefaultsForTheJobsAfterIt() throws JobException {
        List<JobSpec> jobs = parse(lines(
                "[global]",
                "bs=4k",
                "iodepth=8",
                "[first]",
                "[global]",
                "bs=64k",
                "[second]",
                "[third]",
                "iodepth=2"));
        assertThat(jobs).extracting(JobSpec::blockSize).containsExactly(4096, 65536, 65536);
        assertThat(jobs).extracting(JobSpec::iodepth).containsExactly(8, 8, 2);
    }

    @Test
    void overridesWinOverTheFile() throws JobException {
        Map<String, String> overrides = new HashMap<>();
        overrides.put("runtime", "5");
        overrides.put("readwrite", "randrw");
        overrides.put("group_reporting", null);
        List<JobSpec> jobs = parse(lines(
                "[global]",
                "runtime=60",
                "[a]",
                "rw=read",
                "runtime=30",
                "[b]"), overrides);
        assertThat(jobs).extracting(JobSpec::runtime).containsOnly(Duration.ofSeconds(5));
        assertThat(jobs).extracting(JobSpec::rw).containsOnly(ReadWrite.RANDRW);
        assertThat(jobs.get(0).options()).containsEntry("group_reporting", "1").containsEntry("runtime", "5");
    }

    @Test
    void overridesAreChecked() {
        assertThatThrownBy(() -> parse("[a]\n", Map.of("blocksize", "4k")))
                .hasMessage("command line: unknown option 'blocksize' (did you mean 'bs'?)");
        assertThatThrownBy(() -> parse("[a]\n", Map.of("bs", "3000")))
                .hasMessage("command line: bs: '3000' is not a multiple of 512");
        assertThatThrownBy(() -> parse("[a]\n", Map.of("target", "127.0.0.1", "bdev", "malloc")))
                .hasMessageStartingWith("command line: target and bdev are mutually exclusive");
        assertThatThrownBy(() -> parse("[a]\nbs=4k\n", Map.of("size", "6k")))
                .hasMessage("command line: size: '6k' is not a multiple of bs (4KiB) (job 'a')");
    }

    @Test
    void parseOverridesFromAssignments() throws JobException {
        Map<String, String> o = JobFile.parseOverrides(List.of("bs=8k", "readwrite=randread", "time_based", "bs=16k"));
        assertThat(o).containsExactly(Map.entry("rw", "randread"), Map.entry("time_based", "1"),
                Map.entry("bs", "16k"));
        assertThatThrownBy(() -> JobFile.parseOverrides(List.of("iodepth=0")))
                .hasMessage("command line: iodepth: '0' must be between 1 and 65535");
    }

    @Test
    void commentsBlankLinesSpacesAndBareKeys() throws JobException {
        List<JobSpec> jobs = parse(lines(
                "# a comment",
                "; another comment",
                "",
                "   ",
                "[global]   # trailing comment on a header",
                "  bs = 4k   ; trailing comment",
                "runtime=20\t# tab then comment",
                "time_based",
                "\tgroup_reporting",
                "[job one]",
                "name=a#b",
                "  # indented comment",
                "iodepth = 16"));
        JobSpec j = jobs.get(0);
        assertThat(j.name()).isEqualTo("a#b");
        assertThat(j.blockSize()).isEqualTo(4096);
        assertThat(j.runtime()).isEqualTo(Duration.ofSeconds(20));
        assertThat(j.iodepth()).isEqualTo(16);
        assertThat(j.options()).containsEntry("time_based", "1").containsEntry("group_reporting", "1")
                .containsEntry("bs", "4k");
        assertThat(parse("[job one]\n").get(0).name()).isEqualTo("job one");
    }

    @Test
    void windowsLineEndingsAndByteOrderMark() throws JobException {
        List<JobSpec> jobs = parse("\uFEFF[global]\r\nbs=8k\r\n[a]\r\nrw=write\r\n");
        assertThat(jobs).hasSize(1);
        assertThat(jobs.get(0).blockSize()).isEqualTo(8192);
        assertThat(jobs.get(0).rw()).isEqualTo(ReadWrite.WRITE);
    }

    @Test
    void aKeyGivenTwiceKeepsItsLastValue() throws JobException {
        assertThat(parse("[a]\nbs=4k\nbs=8k\n").get(0).blockSize()).isEqualTo(8192);
    }

    @Test
    void badSections() {
        assertThatThrownBy(() -> parse("[global]\nbs=4k\n[a\n"))
                .isInstanceOf(JobException.class).hasMessage("jobs.fio line 3: bad section header '[a' (expected [name])");
        assertThatThrownBy(() -> parse("[a] b\n")).hasMessageStartingWith("jobs.fio line 1: bad section header");
        assertThatThrownBy(() -> parse("[a]]\n")).hasMessageStartingWith("jobs.fio line 1: bad section header");
        assertThatThrownBy(() -> parse("\n[ ]\n")).hasMessage("jobs.fio line 2: empty section name '[ ]'");
    }

    @Test
    void optionsBeforeAnySectionAreAnError() {
        assertThatThrownBy(() -> parse("# header\nbs=4k\n[a]\n"))
                .hasMessageStartingWith("jobs.fio line 2: 'bs=4k' comes before any section");
    }

    @Test
    void aFileWithoutJobsIsAnError() {
        assertThatThrownBy(() -> parse("[global]\nbs=4k\n")).hasMessageStartingWith("jobs.fio: no job section");
        assertThatThrownBy(() -> parse("")).hasMessageStartingWith("jobs.fio: no job section");
        assertThatThrownBy(() -> parse("# only a comment\n")).hasMessageStartingWith("jobs.fio: no job section");
    }

    @Test
    void unknownKeyNamesTheLine() {
        String text = lines(
                "[global]",
                "bs=4k",
                "runtime=10",
                "",
                "[a]",
                "rw=randread",
                "blocksize=8k");
        assertThatThrownBy(() -> parse(text))
                .hasMessage("jobs.fio line 7: unknown option 'blocksize' (did you mean 'bs'?)");
        assertThatThrownBy(() -> parse("[a]\nfilename=/dev/nvme0n1\n"))
                .hasMessageStartingWith("jobs.fio line 2: filename: ").hasMessageContaining("target=")
                .hasMessageContaining("bdev=");
    }

    @Test
    void badValueNamesTheLineKeyAndValue() {
        String text = lines(
                "[global]",
                "runtime=10",
                "",
                "[a]",
                "rw=randread",
                "",
                "[b]",
                "rw=randwrite",
                "bs=3000");
        assertThatThrownBy(() -> parse(text)).hasMessage("jobs.fio line 9: bs: '3000' is not a multiple of 512");
        assertThatThrownBy(() -> parse("[a]\nbs=\n")).hasMessage("jobs.fio line 2: bs: missing value");
        // A bad value in [global] is reported even if every job overrides it, as fio does.
        assertThatThrownBy(() -> parse("[global]\niodepth=0\n[a]\niodepth=1\n"))
                .hasMessage("jobs.fio line 2: iodepth: '0' must be between 1 and 65535");
    }

    @Test
    void errorsAcrossKeysNameTheLineAndTheJob() {
        assertThatThrownBy(() -> parse(lines("[global]", "size=6k", "[a]", "bs=512", "[b]", "bs=4k")))
                .hasMessage("jobs.fio line 2: size: '6k' is not a multiple of bs (4KiB) (job 'b')");
    }

    @Test
    void multipleJobsKeepFileOrder() throws JobException {
        List<JobSpec> jobs = parse(lines("[zeta]", "[alpha]", "[mid]", "name=renamed", "[beta]"));
        assertThat(jobs).extracting(JobSpec::name).containsExactly("zeta", "alpha", "renamed", "beta");
    }

    @Test
    void choosingATargetKindDropsTheOtherKindsInheritedOptions() throws JobException {
        List<JobSpec> jobs = parse(lines(
                "[global]",
                "target=10.0.0.1:4420",
                "subnqn=nqn.2016-06.io.spdk:cnode1",
                "[remote]",
                "[local]",
                "bdev=malloc",
                "bdev_size=64m"));
        assertThat(jobs.get(0).target().describe()).isEqualTo("tcp 10.0.0.1:4420 nqn.2016-06.io.spdk:cnode1 nsid 1");
        assertThat(jobs.get(1).target()).isEqualTo(new TargetSpec.Local("malloc", 64L << 20, 512));
        assertThat(jobs.get(1).options()).doesNotContainKeys("target", "subnqn");

        List<JobSpec> back = parse(lines("[global]", "bdev=null", "bdev_bs=4096", "[a]", "target=[::1]"));
        assertThat(back.get(0).target().describe())
                .isEqualTo("tcp [::1]:4420 nqn.2014-08.org.k200emu:default nsid 1");

        List<JobSpec> overridden = parse(lines("[global]", "target=10.0.0.1", "hdgst=1", "[a]"),
                Map.of("bdev", "malloc"));
        assertThat(overridden.get(0).target().describe()).isEqualTo("local malloc 1GiB (512 B blocks)");
    }

    @Test
    void bothTargetKindsInOneSectionAreAnError() {
        assertThatThrownBy(() -> parse(lines("[a]", "bdev=malloc", "iodepth=4", "target=127.0.0.1")))
                .hasMessageStartingWith("jobs.fio line 4: target and bdev are mutually exclusive")
                .hasMessageEndingWith("(bdev= is given at jobs.fio line 2)");
        // A remote-only option with a local target in force.
        assertThatThrownBy(() -> parse(lines("[global]", "bdev=malloc", "[a]", "nsid=2")))
                .hasMessage("jobs.fio line 4: nsid: applies only to a remote target (target=host:port),"
                        + " but this job uses bdev=malloc (job 'a')");
    }

    @Test
    void rwmixreadAndRwmixwriteReplaceEachOther() throws JobException {
        List<JobSpec> jobs = parse(lines("[global]", "rw=randrw", "rwmixread=70", "[a]", "rwmixwrite=10", "[b]"));
        assertThat(jobs).extracting(JobSpec::rwmixread).containsExactly(90, 70);
        assertThat(jobs.get(0).options()).doesNotContainKey("rwmixread").containsEntry("rwmixwrite", "10");
    }

    @Test
    void loadReadsAFileAndNamesItInErrors(@TempDir Path dir) throws IOException, JobException {
        Path file = dir.resolve("jobs.fio");
        Files.writeString(file, lines("[global]", "bs=4k", "[a]", "", "", "", "iodepht=4"), StandardCharsets.UTF_8);
        assertThatThrownBy(() -> JobFile.load(file, Map.of()))
                .hasMessage(file + " line 7: unknown option 'iodepht' (did you mean 'iodepth'?)");
        Files.writeString(file, lines("[a]", "iodepth=4"), StandardCharsets.UTF_8);
        assertThat(JobFile.load(file, null)).extracting(JobSpec::iodepth).containsExactly(4);
        assertThatThrownBy(() -> JobFile.load(dir.resolve("missing.fio"), Map.of()))
                .isInstanceOf(JobException.class).hasMessageEndingWith("missing.fio: no such file");
    }

    @Test
    void theExampleFilesParse() throws JobException {
        Path examples = examples();
        List<JobSpec> rr = JobFile.load(examples.resolve("randread-4k.fio"), Map.of());
        assertThat(rr).extracting(JobSpec::name).containsExactly("randread", "randwrite");
        assertThat(rr).extracting(JobSpec::rw).containsExactly(ReadWrite.RANDREAD, ReadWrite.RANDWRITE);
        for (JobSpec j : rr) {
            assertThat(j.blockSize()).isEqualTo(4096);
            assertThat(j.iodepth()).isEqualTo(32);
            assertThat(j.runtime()).isEqualTo(Duration.ofSeconds(10));
            assertThat(j.rampTime()).isEqualTo(Duration.ofSeconds(2));
            assertThat(j.target().describe()).isEqualTo("tcp 127.0.0.1:4420 nqn.2014-08.org.k200emu:default nsid 1");
        }
        List<JobSpec> local = JobFile.load(examples.resolve("randread-4k.fio"), Map.of("bdev", "malloc"));
        assertThat(local).extracting(JobSpec::target).containsOnly(new TargetSpec.Local("malloc", 1L << 30, 512));

        List<JobSpec> mixed = JobFile.load(examples.resolve("mixed.fio"), Map.of());
        assertThat(mixed).hasSize(2);
        JobSpec mix = mixed.get(0);
        assertThat(mix.rw()).isEqualTo(ReadWrite.RANDRW);
        assertThat(mix.rwmixread()).isEqualTo(70);
        assertThat(mix.readPercent()).isEqualTo(70);
        assertThat(mix.blockSize()).isEqualTo(4096);
        assertThat(mix.iodepth()).isEqualTo(16);
        assertThat(mix.verify()).isEqualTo(Verify.CRC32C);
        JobSpec seq = mixed.get(1);
        assertThat(seq.rw()).isEqualTo(ReadWrite.READ);
        assertThat(seq.blockSize()).isEqualTo(128 * 1024);
        assertThat(seq.iodepth()).isEqualTo(16);
        assertThat(seq.verify()).isEqualTo(Verify.NONE);
    }

    /** docs/bench-examples, found from the module's directory (or any directory of the checkout). */
    private static Path examples() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("docs").resolve("bench-examples");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new AssertionError("docs/bench-examples not found above " + Path.of("").toAbsolutePath());
    }
}
