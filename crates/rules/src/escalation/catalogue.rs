//! The built-in catalogue: every method file under `rules/escalation/`, compiled in and
//! listed by name here (no directory walk at run time, no linker magic). A test fails
//! when a file in the directory is missing from the list or the other way round.

use std::path::Path;
use std::sync::OnceLock;

use super::method::{MethodError, MethodErrors, MethodFile, parse_method};

macro_rules! methods {
    ($($id:literal),* $(,)?) => {
        &[$(($id, include_str!(concat!("../../../../rules/escalation/", $id, ".yaml")))),*]
    };
}

/// `(id, file text)` of every built-in method.
pub const BUILTIN: &[(&str, &str)] = methods![
    // self-escalation: the principal writes its own permissions
    "iam_create_policy_version",
    "iam_set_default_policy_version",
    "iam_attach_user_policy",
    "iam_attach_group_policy",
    "iam_attach_role_policy",
    "iam_put_user_policy",
    "iam_put_group_policy",
    "iam_put_role_policy",
    "iam_add_user_to_group",
    "iam_delete_user_permissions_boundary",
    "iam_delete_role_permissions_boundary",
    "iam_put_user_permissions_boundary",
    "iam_put_role_permissions_boundary",
    // principal access: credentials or sessions of another principal
    "iam_create_access_key",
    "iam_create_login_profile",
    "iam_update_login_profile",
    "iam_update_assume_role_policy",
    "sts_assume_role",
    "iam_attach_role_policy_assumable",
    "iam_put_role_policy_assumable",
    "iam_attach_user_policy_other_with_access_key",
    "iam_put_user_policy_other_with_access_key",
    // pass a role to a service and run code as it
    "pass_role_ec2_run_instances",
    "pass_role_ec2_run_instances_new_profile",
    "pass_role_lambda_invoke",
    "pass_role_lambda_event_source",
    "pass_role_lambda_add_permission",
    "pass_role_cloudformation_create_stack",
    "pass_role_cloudformation_update_stack",
    "pass_role_cloudformation_create_stack_set",
    "pass_role_glue_create_dev_endpoint",
    "pass_role_glue_create_job",
    "pass_role_glue_update_job",
    "pass_role_codebuild_create_project",
    "pass_role_ecs_run_task",
    "pass_role_ecs_create_service",
    "pass_role_sagemaker_notebook",
    "pass_role_sagemaker_training_job",
    "pass_role_sagemaker_processing_job",
    "pass_role_datapipeline",
    "pass_role_autoscaling_launch_configuration",
    // change compute that already runs as a role
    "glue_update_dev_endpoint",
    "sagemaker_presigned_notebook_url",
    "lambda_update_function_code",
    "lambda_update_function_configuration_layers",
    "codebuild_start_build_buildspec_override",
    "codebuild_update_project",
    "ssm_send_command",
    "ssm_start_session",
    "ec2_modify_instance_user_data",
    "ec2_instance_connect_send_ssh_public_key",
];

/// The loaded, validated catalogue.
#[derive(Debug, Clone)]
pub struct Catalogue {
    methods: Vec<MethodFile>,
}

impl Catalogue {
    /// Validates every method; every problem is reported at once.
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = (&'a Path, &'a str)>,
    ) -> Result<Catalogue, MethodErrors> {
        let mut methods = Vec::new();
        let mut errors: Vec<MethodError> = Vec::new();
        for (path, text) in sources {
            match parse_method(path, text) {
                Ok(m) => {
                    if methods.iter().any(|o: &MethodFile| o.id == m.id) {
                        errors.push(MethodError {
                            file: path.to_owned(),
                            field: Some("id".into()),
                            line: None,
                            message: format!("duplicate method id `{}`", m.id),
                        });
                    } else {
                        methods.push(m);
                    }
                }
                Err(mut e) => errors.append(&mut e),
            }
        }
        if errors.is_empty() {
            Ok(Catalogue { methods })
        } else {
            Err(MethodErrors(errors))
        }
    }

    /// The compiled-in catalogue, loaded once.
    pub fn builtin() -> Result<&'static Catalogue, &'static MethodErrors> {
        static BUILT: OnceLock<Result<Catalogue, MethodErrors>> = OnceLock::new();
        BUILT
            .get_or_init(|| {
                let paths: Vec<(std::path::PathBuf, &str)> = BUILTIN
                    .iter()
                    .map(|(id, text)| {
                        (
                            std::path::PathBuf::from(format!("rules/escalation/{id}.yaml")),
                            *text,
                        )
                    })
                    .collect();
                Catalogue::from_sources(paths.iter().map(|(p, t)| (p.as_path(), *t)))
            })
            .as_ref()
    }

    pub fn methods(&self) -> &[MethodFile] {
        &self.methods
    }

    pub fn get(&self, id: &str) -> Option<&MethodFile> {
        self.methods.iter().find(|m| m.id == id)
    }

    pub fn len(&self) -> usize {
        self.methods.len()
    }

    pub fn is_empty(&self) -> bool {
        self.methods.is_empty()
    }
}
