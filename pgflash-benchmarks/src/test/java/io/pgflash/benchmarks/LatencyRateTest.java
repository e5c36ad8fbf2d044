package io.pgflash.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LatencyRateTest {

    private static Delivery.Latency measuredAt(int rate, double achieved) {
        return new Delivery.Latency(rate, 10, achieved, 1, 2, 3, (int) (achieved * 10), 1);
    }

    @Test
    void aLowRateShortByChanceIsReached() {
        // pgbench -R started 178 transactions in 10 s at 20/s: 1.6 deviations of chance below 200
        assertThat(measuredAt(20, 17.8).rateReached()).isTrue();
        assertThat(measuredAt(20, 15).rateReached()).isFalse();
    }

    @Test
    void aHighRateMustBeWithinFivePercent() {
        assertThat(measuredAt(5000, 4760).rateReached()).isTrue();
        assertThat(measuredAt(5000, 2978).rateReached()).isFalse();
        assertThat(measuredAt(1000, 940).rateReached()).isFalse();
    }
}
