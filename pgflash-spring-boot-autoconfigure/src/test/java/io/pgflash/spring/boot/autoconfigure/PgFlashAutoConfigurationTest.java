package io.pgflash.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.MeterRegistry;
import io.pgflash.core.Operation;
import io.pgflash.core.PgFlash;
import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.trigger.NotifyDriver;
import io.pgflash.core.driver.wal.WalDriver;
import io.pgflash.spring.annotation.PgChangeListener;
import io.pgflash.spring.health.PgFlashHealthIndicator;
import io.pgflash.spring.listener.ListenerEndpointRegistry;
import io.pgflash.spring.listener.PgChangeListenerGap;
import io.pgflash.spring.metrics.PgFlashMetrics;
import io.pgflash.test.TestDatabase;
import io.pgflash.test.TestPostgres;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Every conditional branch of the auto-configuration, against a real PostgreSQL. */
class PgFlashAutoConfigurationTest {

    static TestDatabase db;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, PgFlashAutoConfiguration.class,
                    PgFlashHealthContributorAutoConfiguration.class, PgFlashMetricsAutoConfiguration.class,
                    HealthContributorAutoConfiguration.class));

    @BeforeAll
    static void database() {
        db = TestPostgres.shared().createDatabase();
        db.execute("CREATE TABLE posts (id bigint PRIMARY KEY, title text, status text)");
    }

    /** No DataSource auto-configuration: an application without spring.datasource. */
    private final ApplicationContextRunner withoutDataSource = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(PgFlashAutoConfiguration.class,
                    PgFlashHealthContributorAutoConfiguration.class, PgFlashMetricsAutoConfiguration.class));

    private ApplicationContextRunner withDatabase() {
        return runner.withPropertyValues("spring.datasource.url=" + db.jdbcUrl(),
                "spring.datasource.username=" + db.user(), "spring.datasource.password=" + db.password());
    }

    @Test
    void backsOffWithoutADatabase() {
        withoutDataSource.run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(PgFlash.class)
                .doesNotHaveBean(ListenerEndpointRegistry.class));
    }

    @Test
    void usesTheDataSourceSettingsWithTheTriggerDriverByDefault() {
        withDatabase().run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(PgFlash.class).hasSingleBean(ListenerEndpointRegistry.class);
            assertThat(context.getBean(ChangeDriver.class)).isInstanceOf(NotifyDriver.class);
            assertThat(context.getBean(PgFlash.class).isRunning()).isTrue();
        });
    }

    /** An application that only listens keeps running: pgflash's own threads are daemons. */
    @Test
    void aThreadThatIsNoDaemonKeepsTheApplicationRunningWhileTheListenersRun() {
        long before = keepAliveThreads();
        withDatabase().run(context -> assertThat(keepAliveThreads()).isEqualTo(before + 1));
        await().untilAsserted(() -> assertThat(keepAliveThreads()).isEqualTo(before));
    }

    /** A start-up that fails after the listeners started must end the JVM, not leave it held by that thread. */
    @Test
    void noThreadHoldsTheJvmAfterAStartUpThatFailedLater() {
        long before = keepAliveThreads();
        withDatabase().withBean("failsAfterTheListeners", SmartLifecycle.class, FailingLifecycle::new)
                .run(context -> assertThat(context).hasFailed());
        await().untilAsserted(() -> assertThat(keepAliveThreads()).isEqualTo(before));
    }

    /** A lifecycle bean started after pgflash's registry that fails to start. */
    static class FailingLifecycle implements SmartLifecycle {

        @Override
        public void start() {
            throw new IllegalStateException("fails after the listeners started");
        }

        @Override
        public void stop() {
        }

        @Override
        public boolean isRunning() {
            return false;
        }

        @Override
        public int getPhase() {
            return ListenerEndpointRegistry.PHASE + 1;
        }
    }

    private static long keepAliveThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(thread -> !thread.isDaemon() && thread.isAlive()
                && thread.getName().equals(ListenerEndpointRegistry.KEEP_ALIVE_THREAD)).count();
    }

    @Test
    void ownConnectionSettingsNeedNoDataSource() {
        withoutDataSource.withPropertyValues("pgflash.connection.url=" + db.jdbcUrl(), "pgflash.connection.username=" + db.user(),
                "pgflash.connection.password=" + db.password())
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(PgFlash.class));
    }

    @Test
    void walDriverWhenAsked() {
        withDatabase().withPropertyValues("pgflash.driver=wal", "pgflash.group=" + db.name() + "_runner",
                "pgflash.remove-objects-on-shutdown=true")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    WalDriver driver = context.getBean(WalDriver.class);
                    assertThat(driver.slotName()).isEqualTo("pgflash_" + db.name() + "_runner");
                });
    }

    @Test
    void disabledByProperty() {
        withDatabase().withPropertyValues("pgflash.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(PgFlash.class));
    }

    @Test
    void backsOffForUserBeans() {
        withDatabase().withUserConfiguration(OwnDriver.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(ChangeDriver.class)).isSameAs(context.getBean("ownDriver"));
            assertThat(((NotifyDriver) context.getBean(ChangeDriver.class)).schema()).isEqualTo("own_schema");
        });
    }

    @Test
    void aDriverOfTheApplicationsOwnGetsHealthAndGaugesFromWhatItReports() {
        withDatabase().withUserConfiguration(MeasuredDriver.class)
                .withPropertyValues("pgflash.health.thresholds.widgets=40").run(context -> {
                    var health = context.getBean(PgFlashHealthIndicator.class).health(true);
                    assertThat(health.getDetails()).containsEntry("driver", "measured").containsEntry("widgets", 42L)
                            .containsEntry("site", "lab");
                    assertThat(health.getStatus()).isEqualTo(Status.DOWN);
                    assertThat((String) health.getDetails().get("reason")).isEqualTo("42 widgets, 40 allowed");
                    MeterRegistry meters = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
                    context.getBean(PgFlashMetrics.class).bindTo(meters);
                    assertThat(meters.get("pgflash.widgets").gauge().value()).isEqualTo(42);
                });
    }

    @Test
    void healthIndicatorWithActuatorUnlessDisabled() {
        withDatabase().run(context -> assertThat(context).hasSingleBean(PgFlashHealthIndicator.class));
        withDatabase().withPropertyValues("management.health.pgflash.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(PgFlashHealthIndicator.class));
        withDatabase().withClassLoader(new FilteredClassLoader(HealthIndicator.class))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(PgFlashHealthIndicator.class));
    }

    @Test
    void healthTurnsToTheThresholdStatusPastAThreshold() {
        withDatabase().withPropertyValues("pgflash.health.notify-queue-usage-threshold=0",
                "pgflash.health.threshold-status=WARNING").run(context -> {
                    var health = context.getBean(PgFlashHealthIndicator.class).health(true);
                    assertThat(health.getStatus()).isEqualTo(new Status("WARNING"));
                    assertThat(health.getDetails()).containsEntry("driver", "notify")
                            .containsKey("notifyQueueUsage");
                    assertThat((String) health.getDetails().get("reason")).contains("NOTIFY queue is 0.0% full");
                });
    }

    @Test
    void metricsOnlyWithMicrometer() {
        withDatabase().run(context -> assertThat(context).hasSingleBean(PgFlashMetrics.class));
        withDatabase().withClassLoader(new FilteredClassLoader(MeterBinder.class))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(PgFlashMetrics.class));
    }

    @Test
    void invalidDriverNameFailsStartUp() {
        withDatabase().withPropertyValues("pgflash.driver=kafka").run(context -> assertThat(context).hasFailed()
                .getFailure().rootCause().hasMessageContaining("kafka"));
    }

    @Test
    void malformedFilterFailsWithAnAnalysisNamingTheMethod() {
        withDatabase().withUserConfiguration(BadFilter.class).run(context -> {
            assertThat(context).hasFailed();
            FailureAnalysis analysis = new PgFlashFailureAnalyzer().analyze(context.getStartupFailure());
            assertThat(analysis.getDescription()).contains("BadFilter.onPost", "status=like.x", "unknown operator");
            assertThat(analysis.getAction()).contains("@PgChangeListener");
        });
    }

    @Test
    void unknownTableFailsWithAnAnalysisNamingTable() {
        withDatabase().withUserConfiguration(UnknownTable.class).run(context -> {
            assertThat(context).hasFailed();
            FailureAnalysis analysis = new PgFlashFailureAnalyzer().analyze(context.getStartupFailure());
            assertThat(analysis.getDescription()).contains("UnknownTable.onPost", "\"postz\" does not exist");
        });
    }

    @Test
    void walDriverAgainstWalLevelReplicaFailsWithAnAnalysis() {
        assumeTrue(TestPostgres.canStartDedicated());
        try (TestPostgres.Dedicated server = TestPostgres.dedicated(Map.of("wal_level", "replica"))) {
            TestDatabase replica = server.postgres().createDatabase();
            runner.withPropertyValues("spring.datasource.url=" + replica.jdbcUrl(),
                    "spring.datasource.username=" + replica.user(), "pgflash.driver=wal").run(context -> {
                        assertThat(context).hasFailed();
                        FailureAnalysis analysis = new PgFlashFailureAnalyzer().analyze(context.getStartupFailure());
                        assertThat(analysis.getDescription()).contains("wal_level is 'replica'");
                        assertThat(analysis.getAction()).contains("pgflash.driver=trigger");
                    });
        }
    }

    @Test
    void userClientWithoutDataSourceStartsWithoutTheRest() {
        withoutDataSource.withUserConfiguration(OwnClient.class)
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(PgFlashHealthIndicator.class));
    }

    @Test
    void applicationDataSourceBeanWithDataSourceUrl() {
        withoutDataSource.withUserConfiguration(OwnDataSource.class)
                .withPropertyValues("spring.datasource.url=" + db.jdbcUrl(), "spring.datasource.username=" + db.user())
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(PgFlash.class));
    }

    @Test
    void applicationDataSourceBeanWithoutAnyUrlFailsLoudly() {
        withoutDataSource.withUserConfiguration(OwnDataSource.class).run(context -> {
            assertThat(context).hasFailed();
            FailureAnalysis analysis = new PgFlashFailureAnalyzer().analyze(context.getStartupFailure());
            assertThat(analysis.getDescription()).contains("pgflash.connection.url");
        });
    }

    @Test
    void listenersOfLazyBeansRegisterWhenTheBeanIsCreated() {
        withDatabase().withUserConfiguration(LazyListenerConfig.class).run(context -> {
            ListenerEndpointRegistry registry = context.getBean(ListenerEndpointRegistry.class);
            assertThat(registry.listenerIds()).doesNotContain("lazy-one");
            context.getBean(LazyListener.class);
            assertThat(registry.listenerIds()).contains("lazy-one");
            assertThat(registry.isRunning("lazy-one")).isTrue();
        });
    }

    @Test
    void eachInstanceOfAPrototypeBeanHasItsOwnListener() {
        withDatabase().withUserConfiguration(PrototypeListenerConfig.class).run(context -> {
            context.getBean(PrototypeListener.class);
            context.getBean(PrototypeListener.class);
            assertThat(context.getBean(ListenerEndpointRegistry.class).listenerIds())
                    .filteredOn(id -> id.startsWith("prototypeListener.onPost@")).hasSize(2);
        });
    }

    @Test
    void aLazyListenerWhoseSubscribeFailedRegistersWhenItsBeanIsCreatedAgain() {
        withDatabase().withUserConfiguration(LaterTableListenerConfig.class).run(context -> {
            assertThatThrownBy(() -> context.getBean(LaterTableListener.class)).hasMessageContaining("later_posts");
            db.execute("CREATE TABLE later_posts (id int PRIMARY KEY)");
            try {
                context.getBean(LaterTableListener.class);
                assertThat(context.getBean(ListenerEndpointRegistry.class).isRunning("later-one")).isTrue();
            } finally {
                db.execute("DROP TABLE later_posts");
            }
        });
    }

    @Test
    void aListenerThatMayHaveMissedChangesIsAnnouncedAsAnApplicationEvent() {
        withDatabase().withUserConfiguration(GapListenerConfig.class).run(context -> {
            assertThat(context).hasNotFailed();
            db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    + " WHERE application_name = '" + NotifyDriver.LISTENER_APPLICATION_NAME + "'"
                    + " AND datname = current_database()");
            await().untilAsserted(() -> assertThat(context.getBean(GapListener.class).gaps)
                    .extracting(PgChangeListenerGap::listenerId).contains("gapped"));
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnClient {
        @Bean
        PgFlash ownClient() {
            return PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password()).build();
        }
    }

    /** A driver of the application's own: the notify mode, reporting a measurement and a detail of its own. */
    @Configuration(proxyBeanMethods = false)
    static class MeasuredDriver {
        @Bean
        ChangeDriver measuredDriver() {
            NotifyDriver notify = NotifyDriver.builder().build();
            return new ChangeDriver() {
                @Override
                public String name() {
                    return "measured";
                }

                @Override
                public void start(io.pgflash.core.driver.DriverContext context) {
                    notify.start(context);
                }

                @Override
                public void capture(io.pgflash.core.catalog.TableMetadata table,
                        java.util.Set<io.pgflash.core.Operation> operations) {
                    notify.capture(table, operations);
                }

                @Override
                public void confirm(io.pgflash.core.Position position) {
                    notify.confirm(position);
                }

                @Override
                public void stop() {
                    notify.stop();
                }

                @Override
                public void close() {
                    notify.close();
                }

                @Override
                public io.pgflash.core.driver.DriverState state() {
                    return notify.state();
                }

                @Override
                public List<io.pgflash.core.driver.Measurement> measurements() {
                    return List.of(new io.pgflash.core.driver.Measurement("widgets", "widgets", "Widgets in stock",
                            null, "widgets", (value, limit) -> (long) value + " widgets, " + (long) limit + " allowed",
                            () -> 42L));
                }

                @Override
                public Map<String, Object> healthDetails() {
                    return Map.of("site", "lab");
                }
            };
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnDataSource {
        @Bean
        javax.sql.DataSource dataSource() {
            org.postgresql.ds.PGSimpleDataSource dataSource = new org.postgresql.ds.PGSimpleDataSource();
            dataSource.setURL(db.jdbcUrl());
            dataSource.setUser(db.user());
            return dataSource;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class LazyListenerConfig {
        @Bean
        @org.springframework.context.annotation.Lazy
        LazyListener lazyListener() {
            return new LazyListener();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class PrototypeListenerConfig {
        @Bean
        @org.springframework.context.annotation.Scope("prototype")
        PrototypeListener prototypeListener() {
            return new PrototypeListener();
        }
    }

    static class PrototypeListener {
        @PgChangeListener("posts")
        void onPost(io.pgflash.core.ChangeEvent event) {
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class LaterTableListenerConfig {
        @Bean
        @org.springframework.context.annotation.Lazy
        LaterTableListener laterTableListener() {
            return new LaterTableListener();
        }
    }

    static class LaterTableListener {
        @PgChangeListener(value = "later_posts", id = "later-one")
        void onPost(io.pgflash.core.ChangeEvent event) {
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class GapListenerConfig {
        @Bean
        GapListener gapListener() {
            return new GapListener();
        }
    }

    static class GapListener {
        final List<PgChangeListenerGap> gaps = new java.util.concurrent.CopyOnWriteArrayList<>();

        @PgChangeListener(value = "posts", id = "gapped")
        void onPost(io.pgflash.core.ChangeEvent event) {
        }

        @org.springframework.context.event.EventListener
        void onGap(PgChangeListenerGap gap) {
            gaps.add(gap);
        }
    }

    static class LazyListener {
        @PgChangeListener(value = "posts", id = "lazy-one")
        void onPost(io.pgflash.core.ChangeEvent event) {
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnDriver {
        @Bean
        ChangeDriver ownDriver() {
            return NotifyDriver.builder().schema("own_schema").build();
        }
    }

    static class BadFilter {
        @PgChangeListener(value = "posts", filter = "status=like.x")
        void onPost(io.pgflash.core.ChangeEvent event) {
        }
    }

    static class UnknownTable {
        @PgChangeListener(value = "postz", ops = Operation.INSERT)
        void onPost(io.pgflash.core.ChangeEvent event) {
        }
    }

    @Test
    void customizerBeansTuneTheDriverAndTheClientWithoutReplacingThem() {
        List<PgFlash.Builder> customized = new java.util.concurrent.CopyOnWriteArrayList<>();
        withDatabase().withBean(NotifyDriverCustomizer.class, () -> builder -> builder.schema("pgflash_customized"))
                .withBean(PgFlashCustomizer.class, () -> customized::add)
                .withPropertyValues("pgflash.remove-objects-on-shutdown=true")
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(PgFlash.class);
                    assertThat(((NotifyDriver) context.getBean(ChangeDriver.class)).schema())
                            .isEqualTo("pgflash_customized");
                    assertThat(customized).hasSize(1);
                });
        withDatabase().withBean(WalDriverCustomizer.class, () -> builder -> builder.slotName("pgflash_customized"))
                .withPropertyValues("pgflash.driver=wal", "pgflash.remove-objects-on-shutdown=true")
                .run(context -> assertThat(((WalDriver) context.getBean(ChangeDriver.class)).slotName())
                        .isEqualTo("pgflash_customized"));
    }

    @Test
    void aUniqueRecovererBeanRecoversForAnnotatedListenersThatSetNone() {
        List<io.pgflash.core.ChangeEvent> recovered = new java.util.concurrent.CopyOnWriteArrayList<>();
        withDatabase().withUserConfiguration(FailingListener.class)
                .withBean(io.pgflash.core.Recoverer.class, () -> (event, error) -> recovered.add(event))
                .withPropertyValues("pgflash.error.max-attempts=1", "pgflash.remove-objects-on-shutdown=true")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    db.execute("INSERT INTO posts VALUES (41, 'refused', 'draft')");
                    await().until(() -> !recovered.isEmpty());
                    assertThat(recovered).singleElement().satisfies(event -> assertThat(event.newRow().get("id"))
                            .isEqualTo(41L));
                });
        db.execute("DELETE FROM posts WHERE id = 41");
    }

    @Test
    void aUniqueErrorPolicyBeanIsTheDefaultAndABackOffBeanReplacesThePropertiesBackOff() {
        PgFlashProperties properties = new PgFlashProperties();
        io.pgflash.core.BackOff slow = io.pgflash.core.BackOff.fixed(java.time.Duration.ofSeconds(7));
        io.pgflash.core.Recoverer recoverer = (event, error) -> { };
        io.pgflash.core.ErrorPolicy blocking = io.pgflash.core.ErrorPolicy.block(slow);

        assertThat(PgFlashAutoConfiguration.defaultErrorPolicy(properties, blocking, null, null)).isSameAs(blocking);
        io.pgflash.core.ErrorPolicy fromProperties = PgFlashAutoConfiguration.defaultErrorPolicy(properties, null,
                recoverer, slow);
        assertThat(fromProperties.maxAttempts()).isEqualTo(properties.getError().getMaxAttempts());
        assertThat(fromProperties.backOff()).isSameAs(slow);
        assertThat(fromProperties.recoverer()).isSameAs(recoverer);
    }

    static class FailingListener {
        @PgChangeListener(value = "posts", id = "failing", ops = Operation.INSERT)
        void onPost(io.pgflash.core.ChangeEvent event) {
            throw new IllegalStateException("refused");
        }
    }

    @Test
    void listenersRegisteredInCodeShareTheRegistryAndItsLifecycle() {
        List<io.pgflash.core.ChangeEvent> single = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<List<io.pgflash.core.ChangeEvent>> batches = new java.util.concurrent.CopyOnWriteArrayList<>();
        withDatabase().withBean(io.pgflash.spring.listener.PgChangeListenerConfigurer.class, () -> registry -> {
            registry.register(io.pgflash.spring.listener.ListenerEndpoint.of("in-code",
                    io.pgflash.core.SubscriptionSpec.table("posts").operations(Operation.INSERT).build(),
                    single::add));
            registry.register(io.pgflash.spring.listener.ListenerEndpoint.batch("in-code-batch",
                    io.pgflash.core.SubscriptionSpec.table("posts").operations(Operation.INSERT).build(),
                    batches::add));
        }).withPropertyValues("pgflash.remove-objects-on-shutdown=true").run(context -> {
            assertThat(context).hasNotFailed();
            ListenerEndpointRegistry registry = context.getBean(ListenerEndpointRegistry.class);
            assertThat(registry.listenerIds()).containsExactly("in-code", "in-code-batch");
            db.execute("INSERT INTO posts VALUES (51, 'in code', 'draft')");
            await().until(() -> single.size() == 1 && batches.size() == 1);
            assertThat(single.get(0).newRow().get("id")).isEqualTo(51L);

            registry.stop("in-code");
            db.execute("INSERT INTO posts VALUES (52, 'batch only', 'draft')");
            await().until(() -> batches.stream().mapToInt(List::size).sum() == 2);
            assertThat(single).hasSize(1);
        });
        db.execute("DELETE FROM posts WHERE id IN (51, 52)");
    }
}
