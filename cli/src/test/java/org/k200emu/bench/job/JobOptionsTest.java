package org.k200emu.bench.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JobOptionsTest {

    /** Options from {@code key=value} strings, in order. */
    private static Map<String, String> opts(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String s : kv) {
            int eq = s.indexOf('=');
            m.put(s.substring(0, eq), s.substring(eq + 1));
        }
        return m;
    }

    private static JobSpec job(String... kv) throws JobException {
        return JobOptions.build("job", opts(kv));
    }

    private static String error(String... kv) {
        JobException e = catchThrowableOfType(JobException.class, () -> job(kv));
        assertThat(e).as("error for %s", List.of(kv)).isNotNull();
        return e.getMessage();
    }

    @Test
    void defaults() throws JobException {
        JobSpec j = job();
        assertThat(j.name()).isEqualTo("job");
        assertThat(j.rw()).isEqualTo(ReadWrite.READ);
        assertThat(j.rwmixread()).isEqualTo(50);
        assertThat(j.blockSize()).isEqualTo(4096);
        assertThat(j.iodepth()).isEqualTo(1);
        assertThat(j.numjobs()).isEqualTo(1);
        assertThat(j.runtime()).isEqualTo(Duration.ofSeconds(10));
        assertThat(j.rampTime()).isEqualTo(Duration.ZERO);
        assertThat(j.size()).isZero();
        assertThat(j.wholeTarget()).isTrue();
        assertThat(j.offset()).isZero();
        assertThat(j.rateIops()).isZero();
        assertThat(j.verify()).isEqualTo(Verify.NONE);
        assertThat(j.target()).isEqualTo(new TargetSpec.Remote("127.0.0.1", 4420,
                "nqn.2014-08.org.k200emu:default", 1, "nqn.2014-08.org.k200emu:bench", false, false));
        assertThat(j.target().describe()).isEqualTo("tcp 127.0.0.1:4420 nqn.2014-08.org.k200emu:default nsid 1");
        assertThat(j.options()).isEmpty();
    }

    @Test
    void rwAndItsAlias() throws JobException {
        assertThat(job("rw=randwrite").rw()).isEqualTo(ReadWrite.RANDWRITE);
        JobSpec j = job("readwrite=randrw");
        assertThat(j.rw()).isEqualTo(ReadWrite.RANDRW);
        assertThat(j.options()).containsExactly(Map.entry("rw", "randrw"));
        assertThat(error("rw=trim")).startsWith("rw: 'trim' is not an I/O pattern");
        assertThat(error("rw=read", "readwrite=write")).contains("readwrite and rw are the same option");
    }

    @Test
    void rwmix() throws JobException {
        assertThat(job("rw=randrw", "rwmixread=70").rwmixread()).isEqualTo(70);
        assertThat(job("rw=randrw", "rwmixwrite=30").rwmixread()).isEqualTo(70);
        assertThat(job("rw=randrw", "rwmixread=70", "rwmixwrite=30").rwmixread()).isEqualTo(70);
        assertThat(error("rwmixread=70", "rwmixwrite=20")).contains("do not add up to 100");
        assertThat(error("rwmixread=101")).isEqualTo("rwmixread: '101' must be between 0 and 100");
        assertThat(error("rwmixread=-1")).isEqualTo("rwmixread: '-1' is not a whole number");
        // Accepted for a pattern that does not mix, but without effect on the read share.
        JobSpec read = job("rw=randread", "rwmixread=70");
        assertThat(read.rwmixread()).isEqualTo(70);
        assertThat(read.readPercent()).isEqualTo(100);
        assertThat(job("rw=write").readPercent()).isZero();
        assertThat(job("rw=rw", "rwmixread=20").readPercent()).isEqualTo(20);
    }

    @ParameterizedTest
    @CsvSource({"512, 512", "4k, 4096", "4K, 4096", "4KiB, 4096", "4kib, 4096", "4kb, 4096", "4KB, 4096",
            "128k, 131072", "1m, 1048576", "1M, 1048576", "1MiB, 1048576", "16m, 16777216", "8192, 8192",
            "4 k, 4096", "1536, 1536"})
    void blockSizeUnits(String text, int bytes) throws JobException {
        assertThat(job("bs=" + text).blockSize()).isEqualTo(bytes);
    }

    @Test
    void blockSizeErrors() throws JobException {
        assertThat(job("bs=3k").blockSize()).isEqualTo(3072); // 6 x 512
        assertThat(error("bs=3000")).isEqualTo("bs: '3000' is not a multiple of 512");
        assertThat(error("bs=1000")).isEqualTo("bs: '1000' is not a multiple of 512");
        assertThat(error("bs=0")).isEqualTo("bs: '0' must be more than 0");
        assertThat(error("bs=4x")).startsWith("bs: '4x' is not a size");
        assertThat(error("bs=four")).startsWith("bs: 'four' is not a size");
        assertThat(error("bs=1.5k")).startsWith("bs: '1.5k' is not a size");
        assertThat(error("bs=4k,8k")).startsWith("bs: '4k,8k' gives several block sizes");
        assertThat(error("bs=32m")).isEqualTo("bs: '32m' is larger than 16MiB");
        assertThat(error("bs=")).isEqualTo("bs: missing value");
        assertThat(error("bs=99999999999999999999")).isEqualTo("bs: '99999999999999999999' is too large");
    }

    @Test
    void iodepthAndNumjobs() throws JobException {
        assertThat(job("iodepth=32").iodepth()).isEqualTo(32);
        assertThat(job("iodepth=65535").iodepth()).isEqualTo(65535);
        assertThat(job("numjobs=4").numjobs()).isEqualTo(4);
        assertThat(job("numjobs=256").numjobs()).isEqualTo(256);
        assertThat(error("iodepth=0")).isEqualTo("iodepth: '0' must be between 1 and 65535");
        assertThat(error("iodepth=65536")).isEqualTo("iodepth: '65536' must be between 1 and 65535");
        assertThat(error("iodepth=4k")).isEqualTo("iodepth: '4k' is not a whole number");
        assertThat(error("numjobs=257")).isEqualTo("numjobs: '257' must be between 1 and 256");
        assertThat(error("numjobs=0")).isEqualTo("numjobs: '0' must be between 1 and 256");
        assertThat(error("numjobs=99999999999999999999999")).contains("must be between 1 and 256");
    }

    @ParameterizedTest
    @CsvSource({"10, PT10S", "10s, PT10S", "10sec, PT10S", "2m, PT2M", "2min, PT2M", "1h, PT1H", "500ms, PT0.5S",
            "500msec, PT0.5S", "250us, PT0.00025S", "1d, PT24H", "3 s, PT3S", "10S, PT10S"})
    void durationUnits(String text, Duration expected) throws JobException {
        assertThat(job("runtime=" + text).runtime()).isEqualTo(expected);
        assertThat(job("ramp_time=" + text).rampTime()).isEqualTo(expected);
    }

    @Test
    void durationErrors() throws JobException {
        assertThat(error("runtime=0")).isEqualTo("runtime: '0' must be more than 0");
        assertThat(job("ramp_time=0").rampTime()).isEqualTo(Duration.ZERO);
        assertThat(error("runtime=10x")).startsWith("runtime: '10x' has an unknown time unit 'x'");
        assertThat(error("runtime=1.5")).startsWith("runtime: '1.5' is not a duration");
        assertThat(error("ramp_time=-1")).startsWith("ramp_time: '-1' is not a duration");
        assertThat(error("runtime=9999999999999s")).isEqualTo("runtime: '9999999999999s' is too long");
    }

    @Test
    void sizeAndOffset() throws JobException {
        JobSpec j = job("size=1g", "offset=64m");
        assertThat(j.size()).isEqualTo(1L << 30);
        assertThat(j.offset()).isEqualTo(64L << 20);
        assertThat(j.wholeTarget()).isFalse();
        assertThat(job("size=0").wholeTarget()).isTrue();
        assertThat(error("size=50%")).startsWith("size: '50%' is a percentage");
        assertThat(error("offset=10%")).startsWith("offset: '10%' is a percentage");
        assertThat(error("size=1000")).isEqualTo("size: '1000' is not a multiple of bs (4KiB)");
        assertThat(error("bs=128k", "offset=4k")).isEqualTo("offset: '4k' is not a multiple of bs (128KiB)");
        assertThat(error("size=lots")).startsWith("size: 'lots' is not a size");
    }

    @Test
    void regionOfTheTarget() throws JobException {
        assertThat(job().regionBytes(1L << 30)).isEqualTo(1L << 30);
        assertThat(job("offset=4k").regionBytes(1L << 30)).isEqualTo((1L << 30) - 4096);
        assertThat(job("bs=128k", "offset=128k").regionBytes(1000_000)).isEqualTo(6 * 131072);
        assertThat(job("size=1m", "offset=1m").regionBytes(2L << 20)).isEqualTo(1L << 20);
        assertThatThrownBy(() -> job("size=1m", "offset=1m").regionBytes((2L << 20) - 4096))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("beyond the end");
        assertThatThrownBy(() -> job("offset=1m").regionBytes(1L << 20))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("beyond the end");
        assertThatThrownBy(() -> job("bs=8k").regionBytes(4096))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no whole block");
    }

    @Test
    void rateAndVerify() throws JobException {
        assertThat(job("rate_iops=10000").rateIops()).isEqualTo(10000);
        assertThat(job("rate_iops=0").rateIops()).isZero();
        assertThat(error("rate_iops=10k")).isEqualTo("rate_iops: '10k' is not a whole number");
        assertThat(error("rate_iops=1000,500")).isEqualTo("rate_iops: '1000,500' is not a whole number");
        assertThat(job("verify=crc32c").verify()).isEqualTo(Verify.CRC32C);
        assertThat(job("verify=crc32c-intel").verify()).isEqualTo(Verify.CRC32C);
        assertThat(job("verify=1").verify()).isEqualTo(Verify.CRC32C);
        assertThat(job("verify=0").verify()).isEqualTo(Verify.NONE);
        assertThat(job("verify=none").verify()).isEqualTo(Verify.NONE);
        assertThat(error("verify=md5")).startsWith("verify: 'md5' is not a supported verify method")
                .contains("crc32c");
    }

    @Test
    void ignoredFioOptionsAreRecordedAndChangeNothing() throws JobException {
        JobSpec plain = job();
        JobSpec j = job("time_based=1", "direct=1", "ioengine=libaio", "group_reporting=1", "thread=1",
                "stonewall=1", "norandommap=1", "randrepeat=0");
        assertThat(j.options()).containsOnlyKeys("time_based", "direct", "ioengine", "group_reporting", "thread",
                "stonewall", "norandommap", "randrepeat");
        assertThat(new JobSpec(j.name(), j.rw(), j.rwmixread(), j.blockSize(), j.iodepth(), j.numjobs(), j.runtime(),
                j.rampTime(), j.size(), j.offset(), j.rateIops(), j.verify(), j.target(), Map.of())).isEqualTo(plain);
        assertThat(error("direct=yes")).isEqualTo("direct: 'yes' is not 0, 1, true or false");
        assertThat(error("ioengine= ")).isEqualTo("ioengine: missing value");
    }

    @Test
    void nameOverridesTheGivenName() throws JobException {
        assertThat(job("name=seq-read").name()).isEqualTo("seq-read");
        assertThat(JobOptions.build("cli", Map.of()).name()).isEqualTo("cli");
    }

    @Test
    void remoteTarget() throws JobException {
        TargetSpec.Remote r = (TargetSpec.Remote) job("target=10.0.0.2:4421", "subnqn=nqn.2016-06.io.spdk:cnode1",
                "nsid=2", "hostnqn=nqn.2014-08.org.example:host1", "hdgst=1", "ddgst=true").target();
        assertThat(r).isEqualTo(new TargetSpec.Remote("10.0.0.2", 4421, "nqn.2016-06.io.spdk:cnode1", 2,
                "nqn.2014-08.org.example:host1", true, true));
        assertThat(r.describe()).isEqualTo("tcp 10.0.0.2:4421 nqn.2016-06.io.spdk:cnode1 nsid 2 hdgst ddgst");

        assertThat(((TargetSpec.Remote) job("target=card.local").target()).hostPort()).isEqualTo("card.local:4420");
        TargetSpec.Remote v6 = (TargetSpec.Remote) job("target=[::1]:4430").target();
        assertThat(v6.address()).isEqualTo("::1");
        assertThat(v6.port()).isEqualTo(4430);
        assertThat(v6.hostPort()).isEqualTo("[::1]:4430");
        assertThat(((TargetSpec.Remote) job("target=[fe80::1%eth0]").target()).port()).isEqualTo(4420);
        assertThat(((TargetSpec.Remote) job("hdgst=0", "ddgst=false").target()).headerDigest()).isFalse();
        TargetSpec.Remote big = (TargetSpec.Remote) job("nsid=4294967294").target();
        assertThat(Integer.toUnsignedString(big.nsid())).isEqualTo("4294967294");
        assertThat(big.describe()).endsWith("nsid 4294967294");
    }

    @Test
    void remoteTargetErrors() {
        assertThat(error("target=::1")).isEqualTo("target: '::1' needs brackets around an IPv6 address, e.g. [::1]:4420");
        assertThat(error("target=[::1")).startsWith("target: '[::1' lacks the ']'");
        assertThat(error("target=127.0.0.1:0")).isEqualTo("target: '127.0.0.1:0' has no valid port (1..65535)");
        assertThat(error("target=127.0.0.1:65536")).contains("has no valid port");
        assertThat(error("target=127.0.0.1:")).contains("has no valid port");
        assertThat(error("target=:4420")).startsWith("target: ':4420' is not host:port");
        assertThat(error("target=a b:4420")).startsWith("target: 'a b:4420' is not host:port");
        assertThat(error("subnqn=cnode1")).startsWith("subnqn: 'cnode1' is not usable: not an NQN");
        assertThat(error("hostnqn=nqn.2014-08.org.nvmexpress.discovery")).startsWith("hostnqn: ");
        assertThat(error("nsid=0")).isEqualTo("nsid: '0' must be between 1 and 4294967294");
        assertThat(error("nsid=4294967295")).isEqualTo("nsid: '4294967295' must be between 1 and 4294967294");
        assertThat(error("hdgst=on")).isEqualTo("hdgst: 'on' is not 0, 1, true or false");
    }

    @Test
    void localTarget() throws JobException {
        TargetSpec.Local m = (TargetSpec.Local) job("bdev=malloc").target();
        assertThat(m).isEqualTo(new TargetSpec.Local("malloc", 1L << 30, 512));
        assertThat(m.describe()).isEqualTo("local malloc 1GiB (512 B blocks)");
        assertThat(m.blockCount()).isEqualTo(2L << 20);
        TargetSpec.Local n = (TargetSpec.Local) job("bdev=null", "bdev_size=4g", "bdev_bs=4k").target();
        assertThat(n).isEqualTo(new TargetSpec.Local("null", 4L << 30, 4096));
        assertThat(n.describe()).isEqualTo("local null 4GiB (4096 B blocks)");
        assertThat(job("bdev=malloc", "bdev_size=64m", "offset=32m", "size=32m").size()).isEqualTo(32L << 20);
    }

    @Test
    void localTargetErrors() {
        assertThat(error("bdev=file")).isEqualTo("bdev: 'file' is not a bdev type k200 bench can make; use null or malloc");
        assertThat(error("bdev=malloc", "bdev_bs=1024")).isEqualTo("bdev_bs: '1024' must be 512 or 4096");
        assertThat(error("bdev=malloc", "bdev_size=0")).isEqualTo("bdev_size: '0' must be more than 0");
        assertThat(error("bdev=malloc", "bdev_size=6k", "bdev_bs=4k", "bs=512"))
                .isEqualTo("bdev_size: '6k' is not a multiple of bdev_bs (4096)");
        assertThat(error("target=127.0.0.1", "bdev=malloc")).startsWith("bdev: target and bdev are mutually exclusive");
        assertThat(error("bdev=malloc", "subnqn=nqn.2016-06.io.spdk:cnode1"))
                .isEqualTo("subnqn: applies only to a remote target (target=host:port), but this job uses bdev=malloc");
        assertThat(error("bdev_size=2g")).isEqualTo("bdev_size: applies only to a local target (bdev=null|malloc),"
                + " but this job uses the default target 127.0.0.1:4420");
        assertThat(error("target=10.0.0.1", "bdev_bs=4096")).endsWith("but this job uses target=10.0.0.1");
        assertThat(error("bdev=malloc", "bdev_bs=4096", "bs=512"))
                .isEqualTo("bs: '512' is not a multiple of the bdev's block size (bdev_bs=4096)");
        assertThat(error("bdev=malloc", "bdev_size=1m", "offset=1m")).startsWith("offset: '1m' leaves no room");
        assertThat(error("bdev=malloc", "bdev_size=1m", "offset=512k", "size=1m"))
                .startsWith("size: '1m' does not fit: offset 512KiB + size 1MiB goes beyond the end of the bdev");
        assertThat(error("bdev=null", "verify=crc32c")).startsWith("verify: 'crc32c' cannot work on bdev=null");
    }

    @Test
    void unknownKeys() {
        assertThat(error("blocksize=4k")).isEqualTo("unknown option 'blocksize' (did you mean 'bs'?)");
        assertThat(error("iodpeth=4")).isEqualTo("unknown option 'iodpeth' (did you mean 'iodepth'?)");
        assertThat(error("BS=4k")).isEqualTo("unknown option 'BS' (did you mean 'bs'?)");
        assertThat(error("runtme=4")).isEqualTo("unknown option 'runtme' (did you mean 'runtime'?)");
        assertThat(error("zonemode=zbd")).isEqualTo("unknown option 'zonemode'");
        assertThat(error("filename=/dev/nvme0n1")).startsWith("filename: ").contains("target=", "bdev=");
    }

    @Test
    void optionsAreTheGivenOnesInCanonicalOrder() throws JobException {
        Map<String, String> given = new LinkedHashMap<>();
        given.put("verify", "crc32c");
        given.put("time_based", null);
        given.put("readwrite", "randrw");
        given.put("bs", "4k");
        given.put("target", "127.0.0.1:4420");
        given.put("name", "mix");
        JobSpec j = JobOptions.build("section", given);
        assertThat(j.options()).containsExactly(Map.entry("name", "mix"), Map.entry("rw", "randrw"),
                Map.entry("bs", "4k"), Map.entry("time_based", "1"), Map.entry("verify", "crc32c"),
                Map.entry("target", "127.0.0.1:4420"));
        assertThatThrownBy(() -> j.options().put("bs", "8k")).isInstanceOf(UnsupportedOperationException.class);
        // A copy: changing the given map afterwards changes nothing.
        Map<String, String> mutable = new HashMap<>(Map.of("bs", "4k"));
        JobSpec k = JobOptions.build("k", mutable);
        mutable.put("bs", "8k");
        assertThat(k.options()).containsExactly(Map.entry("bs", "4k"));
    }

    @Test
    void knownKeys() throws JobException {
        assertThat(JobOptions.knownKeys()).contains("rw", "readwrite", "rwmixread", "rwmixwrite", "bs", "iodepth",
                "numjobs", "runtime", "ramp_time", "size", "offset", "rate_iops", "verify", "time_based", "direct",
                "ioengine", "group_reporting", "thread", "stonewall", "norandommap", "randrepeat", "name", "target",
                "subnqn", "nsid", "hostnqn", "hdgst", "ddgst", "bdev", "bdev_size", "bdev_bs")
                .doesNotContain("filename");
        assertThat(List.copyOf(JobOptions.knownKeys()).subList(0, 3)).containsExactly("name", "rw", "readwrite");
        for (String k : JobOptions.knownKeys()) {
            assertThat(JobOptions.canonicalKey(k)).isEqualTo(k.equals("readwrite") ? "rw" : k);
        }
        assertThatThrownBy(() -> JobOptions.knownKeys().add("x")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void checkValueAlone() throws JobException {
        JobOptions.checkValue("bs", "4k");
        JobOptions.checkValue("readwrite", "rw");
        JobOptions.checkValue("time_based", null);
        assertThatThrownBy(() -> JobOptions.checkValue("bs", "3000")).hasMessage("bs: '3000' is not a multiple of 512");
        assertThatThrownBy(() -> JobOptions.checkValue("blocksize", "4k")).hasMessageContaining("unknown option");
    }

    @Test
    void targetRecordsCheckThemselves() {
        assertThatThrownBy(() -> new TargetSpec.Remote("h", 0, "nqn.a", 1, "nqn.b", false, false))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TargetSpec.Remote("h", 4420, "nqn.a", 0, "nqn.b", false, false))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TargetSpec.Local("file", 1 << 20, 512)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TargetSpec.Local("malloc", 1000, 512)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TargetSpec.Local("malloc", 1 << 20, 1024)).isInstanceOf(IllegalArgumentException.class);
    }
}
