package io.pgflash.core.internal.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

class NumbersTest {

    /** Values of every numeric Java type the decoder gives, near the places where types disagree. */
    private static final List<Number> SAMPLES = List.of(0, 0L, (short) 0, 0.0, -0.0, 0.0f, -0.0f, BigDecimal.ZERO,
            new BigDecimal("0.00"), 1, 1L, 1.0, new BigDecimal("1.0"), 0.5, 0.5f, new BigDecimal("0.5"), 9.99,
            new BigDecimal("9.99"), 20, 20L, 20.0, new BigDecimal("2E+1"), 1L << 62, (double) (1L << 62),
            new BigDecimal(1L << 62), Long.MAX_VALUE, (double) Long.MAX_VALUE, new BigDecimal("1E20"), 1e20,
            9007199254740993L, 9007199254740992.0, Double.NaN, Float.NaN, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY, -1, -1.5, new BigDecimal("-1.5"));

    /** An eq filter's lookup by key must find every value the filter itself finds equal. */
    @Test
    void numbersThatCompareEqualShareAHashKey() {
        for (Number a : SAMPLES) {
            for (Number b : SAMPLES) {
                if (Numbers.compare(a, b) == 0) {
                    assertThat(ValueKey.of(a)).as(a + " (" + a.getClass().getSimpleName() + ") and " + b + " ("
                            + b.getClass().getSimpleName() + ")").isEqualTo(ValueKey.of(b));
                }
            }
        }
    }

    /** As PostgreSQL: with a float on either side the comparison is in double, otherwise exact. */
    @Test
    void numbersCompareAsPostgresComparesThem() {
        assertThat(Numbers.compare(9.99, new BigDecimal("9.99"))).isZero(); // 9.99::float8 = 9.99::numeric
        assertThat(Numbers.compare(9007199254740993L, 9007199254740992.0)).isZero(); // as float8
        assertThat(Numbers.compare(9007199254740993L, new BigDecimal("9007199254740992"))).isPositive();
        assertThat(Numbers.compare(-0.0, 0)).isZero();
        assertThat(Numbers.compare(-0.0, 0.0)).isZero();
        assertThat(Numbers.compare(Double.NaN, Double.NaN)).isZero();
        assertThat(Numbers.compare(Double.NaN, Double.POSITIVE_INFINITY)).isPositive();
        assertThat(Numbers.compare(Double.POSITIVE_INFINITY, new BigDecimal("1E300"))).isPositive();
        assertThat(Numbers.compare(Double.NEGATIVE_INFINITY, Long.MIN_VALUE)).isNegative();
        assertThat(Numbers.compare(new BigDecimal("1.00"), 1)).isZero();
        assertThat(Numbers.compare(20, 20L)).isZero();
        assertThat(Numbers.compare(Long.MAX_VALUE, Long.MAX_VALUE - 1)).isPositive();
    }
}
