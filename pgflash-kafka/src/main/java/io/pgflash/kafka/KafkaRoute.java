package io.pgflash.kafka;

import io.pgflash.core.SubscriptionSpec;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One table's changes and where they go: a subscription (its filters, partial fields and key columns shape the
 * records as they shape a listener's events) and a topic, or none for the bridge's default
 * ({@code <prefix>.<schema>.<table>}).
 */
public record KafkaRoute(SubscriptionSpec spec, @Nullable String topic) {

    public KafkaRoute {
        Objects.requireNonNull(spec, "spec");
        if (topic != null) {
            KafkaTopics.check(topic, "the topic of table " + spec.table(), "name another");
        }
    }

    /** A table's changes, as a subscription spec, to the default topic. */
    public static KafkaRoute of(SubscriptionSpec spec) {
        return new KafkaRoute(spec, null);
    }

    /** A table given in SQL syntax ({@code posts}, {@code app.posts}), all its changes, to the default topic. */
    public static KafkaRoute table(String table) {
        return of(SubscriptionSpec.table(table).build());
    }

    /** This route to a topic of its own. */
    public KafkaRoute toTopic(String topic) {
        return new KafkaRoute(spec, topic);
    }
}
