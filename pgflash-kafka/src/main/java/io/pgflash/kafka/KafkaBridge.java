package io.pgflash.kafka;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.pgflash.core.BackOff;
import io.pgflash.core.BatchChangeListener;
import io.pgflash.core.ErrorPolicy;
import io.pgflash.core.OverflowPolicy;
import io.pgflash.core.PgFlash;
import io.pgflash.core.PgFlashException;
import io.pgflash.core.Subscription;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.core.TableName;
import io.pgflash.core.driver.ChangeDriver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.jspecify.annotations.Nullable;

/**
 * Publishes the changes of a WAL or durable consumer group to Kafka: a record per change, keyed by the row's key
 * (so one key's records keep their order in one partition), its value the event as JSON ({@link ChangeEventJson}).
 * The group's position is confirmed only past events whose records the broker acknowledged, so after a crash, a
 * restart or a broker outage every committed change is in Kafka at least once. While the broker is away the bridge
 * retries its batch, the reading waits (the heap stays bounded), nothing is confirmed and {@link #status()} is down.
 *
 * <pre>{@code
 * KafkaBridge bridge = KafkaBridge.builder()
 *         .producer(Map.of("bootstrap.servers", "localhost:9092"))
 *         .route(KafkaRoute.table("orders"))
 *         .build();
 * bridge.subscribe(flash);
 * }</pre>
 */
public final class KafkaBridge implements AutoCloseable {

    public static final String DEFAULT_TOPIC_PREFIX = "pgflash";
    public static final Duration DEFAULT_ACK_TIMEOUT = Duration.ofSeconds(10);
    public static final BackOff DEFAULT_BACK_OFF = BackOff.exponential(Duration.ofMillis(200), Duration.ofSeconds(10));

    private final Producer<byte[], byte[]> producer;
    private final boolean ownsProducer;
    private final Duration ackTimeout;
    private final BridgeMetrics metrics;
    private final List<Endpoint> endpoints = new ArrayList<>();

    private KafkaBridge(Builder builder) {
        List<SubscriptionSpec> specs = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (KafkaRoute route : builder.routes) {
            SubscriptionSpec spec = specOf(route.spec(), builder.backOff);
            if (!ids.add(spec.id())) {
                throw new IllegalArgumentException("Two Kafka routes have the id '" + spec.id()
                        + "'; give each route of one table an id of its own");
            }
            if (route.topic() == null) { // the schema is known only once resolved: check the parts known now
                TableName table = spec.table();
                KafkaTopics.check(KafkaTopics.defaultTopic(builder.topicPrefix,
                        TableName.of(table.schema() != null ? table.schema() : "public", table.name())),
                        "the default topic of table " + table, "name a topic for it (KafkaRoute.toTopic, or"
                        + " pgflash.kafka.tables[n].topic)");
            }
            specs.add(spec);
        }
        this.ownsProducer = builder.producer == null;
        this.producer = ownsProducer ? new KafkaProducer<>(producerSettings(builder.producerSettings))
                : builder.producer;
        this.ackTimeout = builder.ackTimeout;
        this.metrics = new BridgeMetrics(builder.meterRegistry);
        for (int i = 0; i < specs.size(); i++) {
            SubscriptionSpec spec = specs.get(i);
            endpoints.add(new Endpoint(spec.id(), spec, new KafkaPublisher(builder.routes.get(i), builder.topicPrefix,
                    producer, metrics, builder.deadLetterTopic)));
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The route's subscription as the bridge runs it: an id of {@code kafka-<table>} unless named, and an error policy
     * that sends a failed batch again until the broker takes it (a bridge never skips an event).
     */
    private static SubscriptionSpec specOf(SubscriptionSpec spec, BackOff backOff) {
        if (spec.overflow().action() != OverflowPolicy.Action.BLOCK) {
            throw new IllegalArgumentException("The Kafka route of " + spec.table() + " has the overflow policy "
                    + spec.overflow() + ", which drops events; a bridge waits for the broker (leave the default)");
        }
        SubscriptionSpec bridged = spec.withErrorPolicy(ErrorPolicy.block(backOff));
        if (spec.id() != null) {
            return bridged;
        }
        String table = spec.table().schema() == null ? spec.table().name()
                : spec.table().schema() + "." + spec.table().name();
        return bridged.withId("kafka-" + table);
    }

    /** The subscriptions to make, with their listeners: for a registry that manages their lifecycle (Spring). */
    public List<Endpoint> endpoints() {
        return List.copyOf(endpoints);
    }

    /**
     * Subscribes every route on {@code flash}, before it starts: a group's start replays what was committed while it
     * was away to the subscriptions that exist then. Refuses a started client, and one whose driver keeps nothing
     * while the application is down (the notify mode), where at-least-once cannot hold.
     */
    public List<Subscription> subscribe(PgFlash flash) {
        requireKeepsEvents(flash.driver());
        if (flash.isRunning()) {
            throw new IllegalStateException("Subscribe the Kafka bridge before the client starts: a started group has"
                    + " begun replaying what was committed while it was away, and only subscriptions made before"
                    + " start() receive it");
        }
        List<Subscription> subscriptions = new ArrayList<>();
        for (Endpoint endpoint : endpoints) {
            subscriptions.add(flash.subscribeBatch(endpoint.spec(), endpoint.listener()));
        }
        return subscriptions;
    }

    /** Fails, naming the fix, for a driver that keeps no place while the application is down. */
    public static void requireKeepsEvents(ChangeDriver driver) {
        if (!driver.keepsEventsWhileStopped()) {
            throw new PgFlashException("The Kafka bridge needs a driver that keeps events while the application is"
                    + " down, so every change reaches Kafka at least once; the " + driver.name() + " driver does not."
                    + " Use the WAL driver (pgflash.driver=wal) or the durable mode (pgflash.trigger.mode=durable)");
        }
    }

    /** Down while a batch failed and is being sent again, or records wait longer than the acknowledgement timeout. */
    public BridgeStatus status() {
        long now = System.nanoTime();
        long oldest = 0;
        String failure = null;
        for (Endpoint endpoint : endpoints) {
            KafkaPublisher publisher = endpoint.publisherOf();
            long since = publisher.waitingSince();
            if (since != 0 && (oldest == 0 || since - oldest < 0)) {
                oldest = since;
            }
            if (failure == null) {
                failure = publisher.failure();
            }
        }
        Duration longestWait = oldest == 0 ? Duration.ZERO : Duration.ofNanos(now - oldest);
        long pending = metrics.pending();
        if (failure != null) {
            return new BridgeStatus(false, failure, pending, longestWait);
        }
        if (longestWait.compareTo(ackTimeout) > 0) {
            return new BridgeStatus(false, pending + " records have waited " + longestWait.toSeconds()
                    + " s for the broker's acknowledgement", pending, longestWait);
        }
        return new BridgeStatus(true, null, pending, longestWait);
    }

    /** Closes the producer the bridge made (one handed to it stays open); stop the subscriptions first. */
    @Override
    public void close() {
        if (ownsProducer) {
            producer.close();
        }
    }

    /** A subscription of the bridge and the listener that publishes its events. */
    public record Endpoint(String id, SubscriptionSpec spec, BatchChangeListener listener) {

        KafkaPublisher publisherOf() {
            return (KafkaPublisher) listener;
        }
    }

    public static final class Builder {
        private @Nullable Producer<byte[], byte[]> producer;
        private @Nullable Map<String, ?> producerSettings;
        private final List<KafkaRoute> routes = new ArrayList<>();
        private String topicPrefix = DEFAULT_TOPIC_PREFIX;
        private @Nullable String deadLetterTopic;
        private BackOff backOff = DEFAULT_BACK_OFF;
        private Duration ackTimeout = DEFAULT_ACK_TIMEOUT;
        private MeterRegistry meterRegistry = new CompositeMeterRegistry(); // none: meters go nowhere

        private Builder() {
        }

        /**
         * A producer made from these settings, with what at-least-once needs put over them: {@code acks=all},
         * idempotence (each partition keeps its order across retries) and byte array serializers. The bridge closes
         * it.
         */
        public Builder producer(Map<String, ?> settings) {
            this.producerSettings = Map.copyOf(settings);
            this.producer = null;
            return this;
        }

        /**
         * A producer of the application's; give it {@code acks=all} and {@code enable.idempotence=true}, which
         * at-least-once in key order needs. The bridge leaves it open.
         */
        public Builder producer(Producer<byte[], byte[]> producer) {
            this.producer = Objects.requireNonNull(producer);
            this.producerSettings = null;
            return this;
        }

        public Builder route(KafkaRoute route) {
            routes.add(route);
            return this;
        }

        /** The first part of default topic names, {@code <prefix>.<schema>.<table>}; {@code pgflash} by default. */
        public Builder topicPrefix(String prefix) {
            KafkaTopics.check(prefix + ".s.t", "a topic prefix", "choose another prefix");
            this.topicPrefix = prefix;
            return this;
        }

        /**
         * Where records go that the broker refuses for their size (which sending again cannot cure), without their
         * value; without one, the stream waits until the size limit is raised.
         */
        public Builder deadLetterTopic(@Nullable String topic) {
            if (topic != null) {
                KafkaTopics.check(topic, "the dead-letter topic", "choose another name");
            }
            this.deadLetterTopic = topic;
            return this;
        }

        /** The wait between sending a failed batch again; from 200 ms doubling to 10 s by default. */
        public Builder backOff(BackOff backOff) {
            this.backOff = Objects.requireNonNull(backOff);
            return this;
        }

        /** How long records may wait for the broker before {@link #status()} is down; 10 s by default. */
        public Builder ackTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("The acknowledgement timeout must be positive, not " + timeout);
            }
            this.ackTimeout = timeout;
            return this;
        }

        /** Where the bridge's meters go (one bridge per registry); nowhere by default. */
        public Builder meterRegistry(MeterRegistry registry) {
            this.meterRegistry = Objects.requireNonNull(registry);
            return this;
        }

        public KafkaBridge build() {
            if (producer == null && producerSettings == null) {
                throw new IllegalStateException("A Kafka bridge needs a producer: call producer(settings)");
            }
            if (routes.isEmpty()) {
                throw new IllegalStateException("A Kafka bridge needs at least one table: call route(...)");
            }
            return new KafkaBridge(this);
        }
    }

    /** Settings made safe for at-least-once publishing in key order, whatever the application set. */
    public static Map<String, Object> producerSettings(Map<String, ?> settings) {
        Map<String, Object> safe = new HashMap<>(settings);
        safe.put(ProducerConfig.ACKS_CONFIG, "all");
        safe.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        safe.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        safe.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        // a bridge sends up to 500 records at once: one request per partition instead of one per 16 KB
        safe.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        return safe;
    }
}
