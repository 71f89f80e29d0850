package org.k200emu.bdev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BdevIoTest {

    @Test
    void carriesWhatWasPreparedAndCompletesOnce() {
        List<BdevIo> completions = new ArrayList<>();
        Object context = "request-7";
        BdevIo io = new BdevIo();
        assertThat(io.prepare(BdevOp.UNMAP, 10, 20, null, Runnable::run, completions::add, context)).isSameAs(io);

        assertThat(io.op()).isEqualTo(BdevOp.UNMAP);
        assertThat(io.offsetBlocks()).isEqualTo(10);
        assertThat(io.numBlocks()).isEqualTo(20);
        assertThat(io.buffer()).isNull();
        assertThat(io.context()).isSameAs(context);
        assertThat(io.inFlight()).isTrue();
        assertThat(io.status()).isEqualTo(-1);
        assertThatThrownBy(() -> io.prepare(BdevOp.READ, 0, 1, null, Runnable::run, completions::add, null))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("reused while in flight");

        io.complete(BdevStatus.MEDIA_ERROR);
        assertThat(completions).containsExactly(io);
        assertThat(io.inFlight()).isFalse();
        assertThat(io.status()).isEqualTo(BdevStatus.MEDIA_ERROR);
        assertThat(io).hasToString("BdevIo[UNMAP lba=10 n=20 status=3]");
        assertThatThrownBy(() -> io.complete(BdevStatus.SUCCESS))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("completed twice");
        assertThat(completions).hasSize(1);

        io.prepare(BdevOp.FLUSH, 0, 0, null, Runnable::run, completions::add, null);
        assertThat(io.status()).as("reset by prepare").isEqualTo(-1);
    }

    @ParameterizedTest(name = "lba={0} n={1} in {2}: {3}")
    @CsvSource({
        "0, 1, 1, true",
        "0, 8, 8, true",
        "7, 1, 8, true",
        "8, 0, 8, true",
        "8, 1, 8, false",
        "7, 2, 8, false",
        "0, 9, 8, false",
        "-1, 1, 8, false",
        "0, -1, 8, false",
        "9223372036854775807, 1, 8, false",
        "1, 9223372036854775807, 8, false",
        "9223372036854775806, 1, 9223372036854775807, true",
        "9223372036854775807, 9223372036854775807, 9223372036854775807, false",
    })
    void withinCapacityNeverOverflows(long lba, long blocks, long capacity, boolean within) {
        BdevIo io = new BdevIo().prepare(BdevOp.READ, lba, blocks, null, Runnable::run, d -> { }, null);
        assertThat(io.withinCapacity(capacity)).isEqualTo(within);
    }

    @Test
    void statusNames() {
        assertThat(BdevStatus.name(BdevStatus.SUCCESS)).isEqualTo("SUCCESS");
        assertThat(BdevStatus.name(BdevStatus.OUT_OF_RANGE)).isEqualTo("OUT_OF_RANGE");
        assertThat(BdevStatus.name(BdevStatus.UNSUPPORTED)).isEqualTo("UNSUPPORTED");
        assertThat(BdevStatus.name(BdevStatus.MEDIA_ERROR)).isEqualTo("MEDIA_ERROR");
        assertThat(BdevStatus.name(BdevStatus.BAD_BUFFER)).isEqualTo("BAD_BUFFER");
        assertThat(BdevStatus.name(BdevStatus.ABORTED)).isEqualTo("ABORTED");
        assertThat(BdevStatus.name(42)).isEqualTo("STATUS_42");
    }
}
