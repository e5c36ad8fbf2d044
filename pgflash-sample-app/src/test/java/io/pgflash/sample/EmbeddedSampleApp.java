package io.pgflash.sample;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;

/**
 * The sample as a newcomer runs it: no {@code spring.datasource.url}, so on its own embedded PostgreSQL, with the
 * default driver. Test classes with this annotation share one running application (the same configuration, the
 * test support's {@code ListenerEvents} included: a second application would find the data directory taken).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@SpringBootTest(classes = SampleApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"sample.embedded.data-dir=target/embedded-postgres", "pgflash.shutdown-timeout=5s"})
@Import(SampleAppTest.Events.class)
@interface EmbeddedSampleApp {
}
