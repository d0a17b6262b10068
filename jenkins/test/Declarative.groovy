import java.lang.annotation.Retention
import java.lang.annotation.RetentionPolicy

/**
 * Just enough of declarative Pipeline to run a Jenkinsfile in the stand-in: `pipeline`,
 * `agent`, `environment`, `stages`/`stage`, `when { branch }`, `steps` and `post`
 * (`always`, `success`, `failure`), with the library's steps and `junit` available
 * inside. Stages run in order; a failing stage fails the run and skips the rest.
 */
abstract class DeclarativeScript extends PipelineScript {
    final List<String> junitReports = []

    StepsFixture getFixture() { (StepsFixture) binding.getVariable('fixture') }

    void pipeline(Closure body) {
        PipelineBlock block = new PipelineBlock(environment: pipeline.env)
        run(block, body)
        try {
            block.stages.each { StageBlock stage -> runStage(stage) }
        } finally {
            runPost(block.post)
        }
    }

    void junit(String glob) {
        junitReports << glob
    }

    /** The library's steps, as vars/ makes them global. */
    Object methodMissing(String name, Object args) {
        Object[] given = (Object[]) args
        if (!new File(fixture.library, "vars/${name}.groovy").exists()) {
            throw new MissingMethodException(name, getClass(), given)
        }
        return fixture.step(name, given.length == 0 ? [:] : (Map) given[0])
    }

    protected void runStage(StageBlock stage) {
        if (stage.branch != null && pipeline.env.BRANCH_NAME != stage.branch) {
            return
        }
        try {
            run(new Object(), stage.steps)
        } catch (Exception e) {
            pipeline.currentBuild.currentResult = 'FAILURE'
            throw e
        } finally {
            runPost(stage.post)
        }
    }

    protected void runPost(PostBlock post) {
        if (post == null) {
            return
        }
        if (post.always) {
            run(new Object(), post.always)
        }
        Closure outcome = pipeline.currentBuild.currentResult == 'SUCCESS' ? post.success : post.failure
        if (outcome) {
            run(new Object(), outcome)
        }
    }

    protected static void run(Object delegate, Closure body) {
        Closure copy = (Closure) body.clone()
        copy.delegate = delegate
        copy.resolveStrategy = Closure.DELEGATE_FIRST
        copy.call()
    }
}

class PipelineBlock {
    Map<String, String> environment
    final List<StageBlock> stages = []
    PostBlock post

    String getAny() { 'any' }

    void agent(Object any) {}

    void environment(Closure body) {
        Closure copy = (Closure) body.clone()
        copy.delegate = new EnvironmentBlock(environment)
        copy.resolveStrategy = Closure.DELEGATE_FIRST
        copy.call()
    }

    void stages(Closure body) {
        Closure copy = (Closure) body.clone()
        copy.delegate = this
        copy.resolveStrategy = Closure.DELEGATE_FIRST
        copy.call()
    }

    void stage(String name, Closure body) {
        StageBlock stage = new StageBlock(name: name)
        Closure copy = (Closure) body.clone()
        copy.delegate = stage
        copy.resolveStrategy = Closure.DELEGATE_FIRST
        copy.call()
        stages << stage
    }

    void post(Closure body) {
        post = PostBlock.of(body)
    }
}

class EnvironmentBlock {
    private final Map<String, String> environment

    EnvironmentBlock(Map<String, String> environment) { this.environment = environment }

    void setProperty(String name, Object value) { environment[name] = value.toString() }
}

class StageBlock {
    String name
    String branch
    Closure steps
    PostBlock post

    void when(Closure body) {
        Closure copy = (Closure) body.clone()
        copy.delegate = this
        copy.resolveStrategy = Closure.DELEGATE_FIRST
        copy.call()
    }

    void branch(String name) { branch = name }

    void steps(Closure body) { steps = body }

    void post(Closure body) { post = PostBlock.of(body) }
}

class PostBlock {
    Closure always
    Closure success
    Closure failure

    static PostBlock of(Closure body) {
        PostBlock post = new PostBlock()
        Closure copy = (Closure) body.clone()
        copy.delegate = post
        copy.resolveStrategy = Closure.DELEGATE_FIRST
        copy.call()
        return post
    }

    void always(Closure body) { always = body }

    void success(Closure body) { success = body }

    void failure(Closure body) { failure = body }
}

/** The Pipeline: Groovy Libraries plugin's annotation; here the fixture provides the library. */
@Retention(RetentionPolicy.SOURCE)
@interface Library {
    String[] value()
}
