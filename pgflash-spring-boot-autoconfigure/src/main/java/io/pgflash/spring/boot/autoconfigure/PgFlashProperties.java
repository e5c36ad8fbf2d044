package io.pgflash.spring.boot.autoconfigure;

import io.pgflash.core.PgFlash;

import io.pgflash.core.driver.trigger.NotifyDriver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Configuration of pgflash ({@code pgflash.*}).
 */
@ConfigurationProperties("pgflash")
public class PgFlashProperties {

    /** Whether to stream changes at all. */
    private boolean enabled = true;

    /** Where changes come from: trigger (LISTEN/NOTIFY, any PostgreSQL) or wal (logical replication). */
    private Driver driver = Driver.TRIGGER;

    /**
     * The consumer group: instances of one group share a WAL slot or durable cursor, and one of them reads at a
     * time while the others stand by. Defaults to spring.application.name, else "default".
     */
    private String group;

    /**
     * How often a standby instance of the group tries to take the reading over, and the reading one checks it still
     * has its turn; failover takes about this long after the reading instance is gone.
     */
    private Duration standbyInterval = Duration.ofSeconds(1);

    /** How long shutdown waits for listeners to handle the events already read. */
    private Duration shutdownTimeout = Duration.ofSeconds(30);

    /**
     * The threads that run listeners, shared by all subscriptions; each subscription runs on one of them at a time,
     * in order. Listeners blocked at once hold as many of them.
     */
    private int deliveryThreads = 32;

    /**
     * Whether to remove pgflash's database objects on shutdown: the trigger schema when no other application
     * listens, or the WAL slot and publication (which loses what is not confirmed).
     */
    private boolean removeObjectsOnShutdown;

    private final Connection connection = new Connection();

    private final Trigger trigger = new Trigger();

    private final Wal wal = new Wal();

    private final Error error = new Error();

    private final Health health = new Health();

    private final Streams streams = new Streams();

    private final Snapshot snapshot = new Snapshot();

    private final Observation observation = new Observation();

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public Driver getDriver() {
        return driver;
    }

    public void setDriver(Driver driver) {
        this.driver = driver;
    }

    public String getGroup() {
        return group;
    }

    public void setGroup(String group) {
        this.group = group;
    }

    public Duration getStandbyInterval() {
        return standbyInterval;
    }

    public void setStandbyInterval(Duration standbyInterval) {
        if (standbyInterval.compareTo(Duration.ofMillis(1)) < 0) {
            throw new IllegalArgumentException("the standby interval must be at least 1ms, e.g. 1s");
        }
        this.standbyInterval = standbyInterval;
    }

    public Duration getShutdownTimeout() {
        return shutdownTimeout;
    }

    public void setShutdownTimeout(Duration shutdownTimeout) {
        if (shutdownTimeout == null || shutdownTimeout.isNegative()) {
            throw new IllegalArgumentException("the shutdown timeout must be 0s or more, e.g. 30s");
        }
        this.shutdownTimeout = shutdownTimeout;
    }

    public int getDeliveryThreads() {
        return deliveryThreads;
    }

    public void setDeliveryThreads(int deliveryThreads) {
        if (deliveryThreads < 1) {
            throw new IllegalArgumentException("at least 1 delivery thread is needed, e.g. 32");
        }
        this.deliveryThreads = deliveryThreads;
    }

    public boolean isRemoveObjectsOnShutdown() {
        return removeObjectsOnShutdown;
    }

    public void setRemoveObjectsOnShutdown(boolean removeObjectsOnShutdown) {
        this.removeObjectsOnShutdown = removeObjectsOnShutdown;
    }

    public Connection getConnection() {
        return connection;
    }

    public Trigger getTrigger() {
        return trigger;
    }

    public Wal getWal() {
        return wal;
    }

    public Error getError() {
        return error;
    }

    public Health getHealth() {
        return health;
    }

    public Streams getStreams() {
        return streams;
    }

    public Snapshot getSnapshot() {
        return snapshot;
    }

    public Observation getObservation() {
        return observation;
    }

    /** The change sources. */
    public enum Driver {
        /** Statement-level triggers and LISTEN/NOTIFY. */
        TRIGGER,
        /** Logical replication with pgoutput. */
        WAL
    }

    /** The trigger driver's delivery modes. */
    public enum TriggerMode {
        /** Rows travel in NOTIFY payloads; nothing is kept while no application listens. */
        NOTIFY,
        /** Rows are kept in an event table per consumer group until consumed; NOTIFY only wakes consumers up. */
        DURABLE
    }

    /**
     * The dedicated listening or replication connection. pgflash never takes it from the pool: by default it opens
     * its own connections with spring.datasource.url, username and password.
     */
    public static class Connection {

        /** JDBC URL; defaults to spring.datasource.url. */
        private String url;

        /** Login user; defaults to spring.datasource.username. */
        private String username;

        /** Login password; defaults to spring.datasource.password. */
        private String password;

        public String getUrl() {
            return url;
        }

        public void setUrl(String url) {
            this.url = url;
        }

        public String getUsername() {
            return username;
        }

        public void setUsername(String username) {
            this.username = username;
        }

        public String getPassword() {
            return password;
        }

        public void setPassword(String password) {
            this.password = password;
        }
    }

    /** The trigger driver. */
    public static class Trigger {

        /** Delivery mode. */
        private TriggerMode mode = TriggerMode.NOTIFY;

        /** Schema for pgflash's functions and tables; also the NOTIFY channel. */
        private String schema = "pgflash";

        /** After this long without notifications the listening connection is checked (notify mode). */
        private Duration connectionCheckInterval = Duration.ofSeconds(5);

        /** A consumer group not seen for this long stops holding events back (durable mode). */
        private Duration groupExpiry = Duration.ofDays(7);

        public TriggerMode getMode() {
            return mode;
        }

        public void setMode(TriggerMode mode) {
            this.mode = mode;
        }

        public String getSchema() {
            return schema;
        }

        public void setSchema(String schema) {
            NotifyDriver.builder().schema(schema).build(); // refuses a name pgflash cannot use, saying why
            this.schema = schema;
        }

        public Duration getConnectionCheckInterval() {
            return connectionCheckInterval;
        }

        public Duration getGroupExpiry() {
            return groupExpiry;
        }

        public void setGroupExpiry(Duration groupExpiry) {
            if (groupExpiry.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("the group expiry must be at least 1s, e.g. 7d");
            }
            this.groupExpiry = groupExpiry;
        }

        public void setConnectionCheckInterval(Duration connectionCheckInterval) {
            if (connectionCheckInterval == null || connectionCheckInterval.compareTo(Duration.ofMillis(1)) < 0) {
                throw new IllegalArgumentException("the connection check interval must be at least 1ms, e.g. 10s");
            }
            this.connectionCheckInterval = connectionCheckInterval;
        }
    }

    /** The WAL driver. */
    public static class Wal {

        /** Replication slot name; defaults to pgflash_ and the group. */
        private String slotName;

        /** Publication name; defaults to pgflash_ and the group. */
        private String publicationName;

        /** How often a heartbeat moves an idle slot; 0 turns heartbeats off. */
        private Duration heartbeatInterval = Duration.ofSeconds(10);

        /** How often the confirmed position is reported to the server. */
        private Duration statusInterval = Duration.ofSeconds(1);

        /** Set REPLICA IDENTITY FULL on subscribed tables so UPDATE and DELETE carry the whole old row. */
        private boolean replicaIdentityFull;

        /**
         * Let the server stream large transactions before commit (protocol 2); kept until commit, in memory up to
         * streamed-memory and in a file in spill-directory past it.
         */
        private boolean streaming;

        /** Streamed, not yet committed changes held in the heap before they go to a file. */
        private DataSize streamedMemory = DataSize.ofMegabytes(16);

        /** Where streamed transactions past streamed-memory are kept until they end; defaults to java.io.tmpdir. */
        private Path spillDirectory;

        /**
         * Schema of the table where the group keeps its initial snapshots' checkpoints beside its slot; created with
         * the table when an initial snapshot first runs.
         */
        private String stateSchema = "pgflash";

        public String getStateSchema() {
            return stateSchema;
        }

        public void setStateSchema(String stateSchema) {
            this.stateSchema = stateSchema;
        }

        public String getSlotName() {
            return slotName;
        }

        public void setSlotName(String slotName) {
            this.slotName = slotName;
        }

        public String getPublicationName() {
            return publicationName;
        }

        public void setPublicationName(String publicationName) {
            this.publicationName = publicationName;
        }

        public Duration getHeartbeatInterval() {
            return heartbeatInterval;
        }

        public void setHeartbeatInterval(Duration heartbeatInterval) {
            if (heartbeatInterval == null || heartbeatInterval.isNegative()) {
                throw new IllegalArgumentException("the heartbeat interval must be 0s (off) or more, e.g. 10s");
            }
            this.heartbeatInterval = heartbeatInterval;
        }

        public Duration getStatusInterval() {
            return statusInterval;
        }

        public void setStatusInterval(Duration statusInterval) {
            if (statusInterval == null || statusInterval.compareTo(Duration.ofMillis(1)) < 0) {
                throw new IllegalArgumentException("the status interval must be at least 1ms, e.g. 1s");
            }
            this.statusInterval = statusInterval;
        }

        public boolean isReplicaIdentityFull() {
            return replicaIdentityFull;
        }

        public void setReplicaIdentityFull(boolean replicaIdentityFull) {
            this.replicaIdentityFull = replicaIdentityFull;
        }

        public boolean isStreaming() {
            return streaming;
        }

        public void setStreaming(boolean streaming) {
            this.streaming = streaming;
        }

        public DataSize getStreamedMemory() {
            return streamedMemory;
        }

        public void setStreamedMemory(DataSize streamedMemory) {
            this.streamedMemory = streamedMemory;
        }

        public Path getSpillDirectory() {
            return spillDirectory;
        }

        public void setSpillDirectory(Path spillDirectory) {
            this.spillDirectory = spillDirectory;
        }
    }

    /** Per-client streams: PgFlashSse (Spring MVC) and PgFlashFlux (Reactor), and the history they resume from. */
    public static class Streams {

        /**
         * Recent events of a table kept in memory, once a per-client stream or resumable subscription was made to it,
         * so a client that reconnects within that many events resumes without missing any; 0 keeps none.
         */
        private int history = PgFlash.DEFAULT_HISTORY;

        /** How long a Server-Sent Event stream stays open before its browser is made to reconnect (and resume). */
        private Duration timeout = Duration.ofMinutes(5);

        public int getHistory() {
            return history;
        }

        public void setHistory(int history) {
            if (history < 0) {
                throw new IllegalArgumentException("history must be 0 or more events, e.g. 1000");
            }
            this.history = history;
        }

        public Duration getTimeout() {
            return timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }
    }

    /** Tracing: each listener call in a Micrometer observation. */
    public static class Observation {

        /** Whether each @PgChangeListener call runs in an observation, where an ObservationRegistry bean exists. */
        private boolean enabled = true;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }
    }

    /** Snapshots: a listener's table read while the stream goes on ({@code @PgChangeListener(snapshot = ...)}). */
    public static class Snapshot {

        /** Rows a snapshot reads, holds in memory and takes into the stream at a time. */
        private int chunkSize = PgFlash.DEFAULT_SNAPSHOT_CHUNK_SIZE;

        /**
         * Whether listeners with a snapshot mode read their tables again after a gap notice (the notify mode after a
         * reconnect), so a copy kept from them is right again; they learn which rows were deleted meanwhile by
         * dropping, at the snapshot's end, the keys it did not bring.
         */
        private boolean afterGap;

        public int getChunkSize() {
            return chunkSize;
        }

        public void setChunkSize(int chunkSize) {
            if (chunkSize < 1) {
                throw new IllegalArgumentException("chunk-size must be at least 1 row, e.g. 8192");
            }
            this.chunkSize = chunkSize;
        }

        public boolean isAfterGap() {
            return afterGap;
        }

        public void setAfterGap(boolean afterGap) {
            this.afterGap = afterGap;
        }
    }

    /** What happens when a listener throws (per listener: maxAttempts and recoverer on the annotation). */
    public static class Error {

        /** Attempts in all before an event is handed to the recoverer or logged and skipped. */
        private int maxAttempts = 3;

        /** Wait before the first retry. */
        private Duration backOffInitial = Duration.ofMillis(100);

        /** Factor by which the wait grows per retry. */
        private double backOffMultiplier = 2;

        /** Longest wait between retries. */
        private Duration backOffMax = Duration.ofSeconds(2);

        public int getMaxAttempts() {
            return maxAttempts;
        }

        public void setMaxAttempts(int maxAttempts) {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("max-attempts must be at least 1 (1: no retry), e.g. 3");
            }
            this.maxAttempts = maxAttempts;
        }

        public Duration getBackOffInitial() {
            return backOffInitial;
        }

        public void setBackOffInitial(Duration backOffInitial) {
            if (backOffInitial == null || backOffInitial.isNegative()) {
                throw new IllegalArgumentException("the first back-off must be 0s or more, e.g. 100ms");
            }
            this.backOffInitial = backOffInitial;
        }

        public double getBackOffMultiplier() {
            return backOffMultiplier;
        }

        public void setBackOffMultiplier(double backOffMultiplier) {
            if (!(backOffMultiplier >= 1)) {
                throw new IllegalArgumentException("the back-off multiplier must be at least 1, e.g. 2");
            }
            this.backOffMultiplier = backOffMultiplier;
        }

        public Duration getBackOffMax() {
            return backOffMax;
        }

        public void setBackOffMax(Duration backOffMax) {
            if (backOffMax == null || backOffMax.isNegative()) {
                throw new IllegalArgumentException("the longest back-off must be 0s or more, e.g. 2s");
            }
            this.backOffMax = backOffMax;
        }
    }

    /** Thresholds of the pgflash health indicator. */
    public static class Health {

        /** NOTIFY queue fill (0 to 1) from which health reports threshold-status. */
        private double notifyQueueUsageThreshold = 0.5;

        /** Replication slot lag from which health reports threshold-status. */
        private DataSize slotLagThreshold = DataSize.ofGigabytes(1);

        /**
         * Thresholds of other measurements a driver reports, by the threshold's name (a driver of your own may name
         * its own); health reports threshold-status at or past one.
         */
        private Map<String, Double> thresholds = new HashMap<>();

        /** The status reported past a threshold, e.g. DOWN or a custom one such as WARNING. */
        private String thresholdStatus = "DOWN";

        public double getNotifyQueueUsageThreshold() {
            return notifyQueueUsageThreshold;
        }

        public void setNotifyQueueUsageThreshold(double notifyQueueUsageThreshold) {
            if (!(notifyQueueUsageThreshold >= 0 && notifyQueueUsageThreshold <= 1)) {
                throw new IllegalArgumentException("the NOTIFY queue usage threshold is a fraction of the queue,"
                        + " from 0 to 1, e.g. 0.5");
            }
            this.notifyQueueUsageThreshold = notifyQueueUsageThreshold;
        }

        public Map<String, Double> getThresholds() {
            return thresholds;
        }

        public void setThresholds(Map<String, Double> thresholds) {
            this.thresholds = thresholds;
        }

        public DataSize getSlotLagThreshold() {
            return slotLagThreshold;
        }

        public void setSlotLagThreshold(DataSize slotLagThreshold) {
            this.slotLagThreshold = slotLagThreshold;
        }

        public String getThresholdStatus() {
            return thresholdStatus;
        }

        public void setThresholdStatus(String thresholdStatus) {
            this.thresholdStatus = thresholdStatus;
        }
    }
}
