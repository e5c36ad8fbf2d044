package io.pgflash.spring.boot.autoconfigure.kafka;

import io.pgflash.core.Operation;
import io.pgflash.core.SnapshotMode;
import io.pgflash.kafka.KafkaBridge;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/** The Kafka bridge ({@code pgflash.kafka.*}); the producer's own settings come from {@code spring.kafka.*}. */
@ConfigurationProperties("pgflash.kafka")
public class PgFlashKafkaProperties {

    /** Whether to publish the tables below to Kafka (needs the WAL driver or the durable mode). */
    private boolean enabled;

    /** The first part of default topic names, which are prefix.schema.table (pgflash.public.orders). */
    private String topicPrefix = KafkaBridge.DEFAULT_TOPIC_PREFIX;

    /**
     * Where records go that the broker refuses for their size (without their value, the headers naming the row);
     * without one the stream waits until the size limit is raised.
     */
    private String deadLetterTopic;

    /** How long records may wait for the broker's acknowledgement before health reports the bridge down. */
    private Duration ackTimeout = KafkaBridge.DEFAULT_ACK_TIMEOUT;

    /** The first wait before a batch the broker did not acknowledge is sent again; it doubles up to the maximum. */
    private Duration backOffInitial = KafkaBridge.DEFAULT_BACK_OFF.initial();

    /** The longest wait between sending a batch again. */
    private Duration backOffMax = KafkaBridge.DEFAULT_BACK_OFF.max();

    /** The tables to publish, each with its subscription's shape and topic. */
    private List<Table> tables = new ArrayList<>();

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public String getTopicPrefix() {
        return topicPrefix;
    }

    public void setTopicPrefix(String topicPrefix) {
        this.topicPrefix = topicPrefix;
    }

    public String getDeadLetterTopic() {
        return deadLetterTopic;
    }

    public void setDeadLetterTopic(String deadLetterTopic) {
        this.deadLetterTopic = deadLetterTopic;
    }

    public Duration getAckTimeout() {
        return ackTimeout;
    }

    public void setAckTimeout(Duration ackTimeout) {
        this.ackTimeout = ackTimeout;
    }

    public Duration getBackOffInitial() {
        return backOffInitial;
    }

    public void setBackOffInitial(Duration backOffInitial) {
        this.backOffInitial = backOffInitial;
    }

    public Duration getBackOffMax() {
        return backOffMax;
    }

    public void setBackOffMax(Duration backOffMax) {
        this.backOffMax = backOffMax;
    }

    public List<Table> getTables() {
        return tables;
    }

    public void setTables(List<Table> tables) {
        this.tables = tables;
    }

    /** One table's records: the same names, filters and partial fields as {@code @PgChangeListener}. */
    public static class Table {

        /** The table in SQL syntax: posts, app.posts, "My Table". */
        private String table;

        /** The topic; defaults to <prefix>.<schema>.<table>. */
        private String topic;

        /** An id for logs, metrics and the registry; defaults to kafka-<table>. */
        private String id;

        /** The operations to publish; all when empty. */
        private List<Operation> operations = new ArrayList<>();

        /** Filters in the PostgREST form, combined with AND: status=eq.published. */
        private List<String> filter = new ArrayList<>();

        /** Partial fields: records carry only these columns and the key, and an UPDATE only when one changed. */
        private List<String> columns = new ArrayList<>();

        /** The record key's columns; the primary key by default. */
        private List<String> key = new ArrayList<>();

        /** Whether the table's current rows are published first (initial) before its changes. */
        private SnapshotMode snapshot = SnapshotMode.NONE;

        public String getTable() {
            return table;
        }

        public void setTable(String table) {
            this.table = table;
        }

        public String getTopic() {
            return topic;
        }

        public void setTopic(String topic) {
            this.topic = topic;
        }

        public String getId() {
            return id;
        }

        public void setId(String id) {
            this.id = id;
        }

        public List<Operation> getOperations() {
            return operations;
        }

        public void setOperations(List<Operation> operations) {
            this.operations = operations;
        }

        public List<String> getFilter() {
            return filter;
        }

        public void setFilter(List<String> filter) {
            this.filter = filter;
        }

        public List<String> getColumns() {
            return columns;
        }

        public void setColumns(List<String> columns) {
            this.columns = columns;
        }

        public List<String> getKey() {
            return key;
        }

        public void setKey(List<String> key) {
            this.key = key;
        }

        public SnapshotMode getSnapshot() {
            return snapshot;
        }

        public void setSnapshot(SnapshotMode snapshot) {
            this.snapshot = snapshot;
        }
    }
}
