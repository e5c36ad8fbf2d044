package io.pgflash.spring.aot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgflash.test.Documentation;
import io.pgflash.core.Operation;
import io.pgflash.spring.annotation.PgChangeListener;
import io.pgflash.spring.boot.autoconfigure.PgFlashAutoConfiguration;
import io.pgflash.test.TestDatabase;
import io.pgflash.test.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.predicate.RuntimeHintsPredicates;
import org.springframework.aot.test.generate.TestGenerationContext;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.annotation.AnnotationConfigUtils;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.aot.ApplicationContextAotGenerator;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.core.test.tools.CompileWithForkedClassLoader;
import org.springframework.core.test.tools.TestCompiler;
import org.springframework.javapoet.ClassName;
import org.springframework.mock.env.MockEnvironment;

/**
 * An application context processed ahead of time, as a native image build does: its generated initializer, compiled,
 * starts a context whose {@code @PgChangeListener} receives an event, and the hints name the listener method and the
 * record it binds, so an application needs no hand-written hints.
 */
@CompileWithForkedClassLoader // the generated code reaches package-private auto-configuration classes
class AotListenerTest {

    @Test
    void aContextStartedFromGeneratedCodeDeliversToItsListenerAndItsBindingsHaveHints() {
        TestDatabase db = TestPostgres.shared().createDatabase();
        db.execute("CREATE TABLE posts (id bigint PRIMARY KEY, title text)");
        GenericApplicationContext build = new GenericApplicationContext();
        build.setEnvironment(environment(db));
        AnnotationConfigUtils.registerAnnotationConfigProcessors(build); // @Configuration, as an application has it
        build.registerBean(AotApplication.class);
        TestGenerationContext generation = new TestGenerationContext(AotApplication.class);
        ClassName initializer = new ApplicationContextAotGenerator().processAheadOfTime(build, generation);
        generation.writeGeneratedContent();

        assertThat(RuntimeHintsPredicates.reflection().onMethod(PostListener.class, "onPost").invoke())
                .accepts(generation.getRuntimeHints());
        assertThat(RuntimeHintsPredicates.reflection().onType(Post.class)
                .withMemberCategory(MemberCategory.INVOKE_DECLARED_CONSTRUCTORS)).accepts(generation.getRuntimeHints());

        TestCompiler.forSystem().with(generation).compile(compiled -> {
            @SuppressWarnings("unchecked")
            ApplicationContextInitializer<GenericApplicationContext> generated = compiled.getInstance(
                    ApplicationContextInitializer.class, initializer.reflectionName());
            try (GenericApplicationContext aot = new GenericApplicationContext()) {
                aot.setEnvironment(environment(db));
                generated.initialize(aot);
                aot.refresh();
                Object listener = aot.getBean("postListener");
                db.execute("INSERT INTO posts VALUES (1, 'ahead of time')");
                await().untilAsserted(() -> assertThat(listener.toString()).isEqualTo("[ahead of time]"));
            }
        });
    }

    private static MockEnvironment environment(TestDatabase db) {
        return new MockEnvironment().withProperty("spring.datasource.url", db.jdbcUrl())
                .withProperty("spring.datasource.username", db.user())
                .withProperty("spring.datasource.password", db.password())
                .withProperty("pgflash.remove-objects-on-shutdown", "true");
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration({DataSourceAutoConfiguration.class, PgFlashAutoConfiguration.class})
    public static class AotApplication {

        @Bean
        public PostListener postListener() {
            return new PostListener();
        }
    }

    /** The README shows this listener as the kind that needs no hints of its own in a native image. */
    @Test
    void theReadmeShowsThisListener() throws Exception {
        String source = Files.readString(Path.of("src/test/java/io/pgflash/spring/aot/AotListenerTest.java"));
        int start = source.indexOf("// README-START\n") + "// README-START\n".length();
        String example = source.substring(start, source.indexOf("// README-END", start)).stripIndent();
        assertThat(Documentation.all()).contains(example);
    }

    // README-START
    public record Post(long id, String title) {
    }

    public static class PostListener {
        private final List<String> titles = new CopyOnWriteArrayList<>();

        @PgChangeListener(value = "posts", ops = Operation.INSERT)
        public void onPost(Post post) { // the method and Post get their hints at build time
            titles.add(post.title());
        }
        // README-END

        /** Seen through toString: the context runs in a class loader of its own. */
        @Override
        public String toString() {
            return titles.toString();
        }
    }
}
