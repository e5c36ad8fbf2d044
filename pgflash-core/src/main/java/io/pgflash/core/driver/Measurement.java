package io.pgflash.core.driver;

import org.jspecify.annotations.Nullable;
import java.util.Objects;

/**
 * A number a driver reports about itself, read from the database when asked (a health check, a metrics scrape).
 *
 * @param name the meter's name after {@code pgflash.}, e.g. {@code slot.lag}
 * @param healthDetail the health detail that shows it ({@code backlog}), or null when health shows it otherwise
 * @param description what it means, for the meter
 * @param baseUnit its unit ({@code bytes}), or null
 * @param threshold the name of the threshold health compares it with ({@code slot-lag}), or null for none
 * @param pastThreshold health's reason when the value is at or past the threshold: what it is and why it matters
 * @param reader reads the value now
 */
public record Measurement(String name, @Nullable String healthDetail, String description, @Nullable String baseUnit,
        @Nullable String threshold, @Nullable PastThreshold pastThreshold, Reader reader) {

    /** Reads a measurement's value (a count as a whole number, a fraction as a double); may query the server. */
    @FunctionalInterface
    public interface Reader {
        Number read();
    }

    /** Says what a value at or past its threshold means, for health's reason. */
    @FunctionalInterface
    public interface PastThreshold {
        String reason(double value, double threshold);
    }

    public Measurement {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(reader, "reader");
    }

    /** A measurement health shows at {@code healthDetail}, without a threshold. */
    public static Measurement of(String name, @Nullable String healthDetail, String description, Reader reader) {
        return new Measurement(name, healthDetail, description, null, null, null, reader);
    }

    public Number read() {
        return reader.read();
    }
}
