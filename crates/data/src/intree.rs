//! In-tree volume plugins that Kubernetes removed, what replaced them, and since when.
//!
//! Researched from kubernetes/website `content/en/docs/reference/storage/volume-types.md`
//! ("Removed volume types"), the `CSIMigration*` feature-gate pages, `volumes.md` (v1.30-era
//! per-plugin deprecation/removal notes) and kubernetes/kubernetes
//! `staging/src/k8s.io/csi-translation-lib/plugins/*.go` (plugin and driver names). Empty cells
//! of the research table stay empty (`None`): no provisioner name was confirmed, no CSI driver
//! is named, or no CSI migration ever reached GA.

use mcp_diag_model::Minor;

/// A removed in-tree volume plugin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct InTreePlugin {
    /// The `provisioner` of a StorageClass using the in-tree plugin; `None` when the plugin
    /// never had an in-tree dynamic provisioner (cephfs, gitRepo) or its name is unconfirmed.
    pub provisioner: Option<&'static str>,
    /// The field of `PersistentVolume.spec` / `Pod.spec.volumes[]` naming the in-tree source.
    pub volume_source_field: &'static str,
    /// The CSI driver that replaces it, where the sources name one.
    pub csi_driver: Option<&'static str>,
    /// The release in which CSI migration went GA (in-tree objects are then served by the CSI
    /// driver). `None`: no migration shipped, so in-tree volumes stop working at removal.
    pub csi_migration_ga: Option<Minor>,
    /// The first release without the in-tree plugin.
    pub removed_in: Minor,
    pub note: &'static str,
    pub source: &'static str,
}

/// An image that runs a CSI driver, for telling whether the driver is installed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CsiDriverImage {
    pub driver: &'static str,
    /// The end of the image repository path (registry host and tag left out).
    pub repository_suffix: &'static str,
    pub source: &'static str,
}

const fn m(minor: u32) -> Minor {
    Minor::new(1, minor)
}

/// The page every row cites first.
#[cfg(test)]
const VT: &str = "kubernetes/website content/en/docs/reference/storage/volume-types.md (";

/// Every removed in-tree volume plugin, by removal release then field name.
#[rustfmt::skip]
pub const INTREE_PLUGINS: &[InTreePlugin] = &[
    InTreePlugin { provisioner: None, volume_source_field: "photonPersistentDisk", csi_driver: None, csi_migration_ga: None, removed_in: m(16), note: "listed for completeness; the provisioner name is not confirmed", source: "kubernetes/website content/en/docs/reference/storage/volume-types.md (Removed volume types); k/k PR #102186 (pod warning 'non-functional in v1.16+')" },
    InTreePlugin { provisioner: Some("kubernetes.io/scaleio"), volume_source_field: "scaleIO", csi_driver: None, csi_migration_ga: None, removed_in: m(22), note: "deprecated 1.16; no CSI migration. ScaleIO is now Dell PowerFlex (github.com/dell/csi-powerflex; driver name not confirmed): volumes must be moved by hand", source: "kubernetes/website content/en/docs/reference/storage/volume-types.md (Removed volume types); k/k PR #101685 (removal); storage-classes.md (provisioner kubernetes.io/scaleio)" },
    InTreePlugin { provisioner: Some("kubernetes.io/flocker"), volume_source_field: "flocker", csi_driver: None, csi_migration_ga: None, removed_in: m(25), note: "deprecated 1.22; no CSI migration and no replacement driver: pods fail with 'no volume plugin matched'", source: "kubernetes/website content/en/docs/reference/storage/volume-types.md (Removed volume types); k/k PR #101773 (deprecation), #111618 (removal), #115035; storage-classes.md" },
    InTreePlugin { provisioner: Some("kubernetes.io/quobyte"), volume_source_field: "quobyte", csi_driver: None, csi_migration_ga: None, removed_in: m(25), note: "deprecated 1.22; no CSI migration. The docs point to the Quobyte CSI driver (name not confirmed): volumes must be moved by hand", source: "kubernetes/website content/en/docs/reference/storage/volume-types.md (Removed volume types); k/k PR #101773 (deprecation), #111619 (removal), #115035" },
    InTreePlugin { provisioner: Some("kubernetes.io/storageos"), volume_source_field: "storageos", csi_driver: None, csi_migration_ga: None, removed_in: m(25), note: "deprecated 1.22; no CSI migration and no CSI driver named by the docs", source: "kubernetes/website content/en/docs/reference/storage/volume-types.md (Removed volume types); k/k PR #101773 (deprecation), #111620 (removal), #115035; storage-classes.md (provisioner kubernetes.io/storageos)" },
    InTreePlugin { provisioner: Some("kubernetes.io/cinder"), volume_source_field: "cinder", csi_driver: Some("cinder.csi.openstack.org"), csi_migration_ga: Some(m(24)), removed_in: m(26), note: "CSIMigrationOpenStack GA 1.24 (PR #107462); deprecated 1.11, removed 1.26 per volume-types.md and volumes.md", source: "kubernetes/website content/en/docs/reference/storage/volume-types.md (Removed volume types); feature-gates/CSIMigrationOpenStack.md; kubernetes/kubernetes staging/src/k8s.io/csi-translation-lib/plugins/openstack_cinder.go; volumes.md (v1.30 era); k/k PR #107462" },
    InTreePlugin { provisioner: Some("kubernetes.io/glusterfs"), volume_source_field: "glusterfs", csi_driver: None, csi_migration_ga: None, removed_in: m(26), note: "deprecated 1.25; no CSI migration, and the gluster CSI driver is unmaintained (k/k issue #100897): move the data to another storage system", source: "kubernetes/website content/en/docs/reference/storage/volume-types.md (Removed volume types); volumes.md (v1.30 era); k/k PR #111485 (deprecation), #112015 (removal); storage-classes.md" },
    InTreePlugin { provisioner: Some("kubernetes.io/aws-ebs"), volume_source_field: "awsElasticBlockStore", csi_driver: Some("ebs.csi.aws.com"), csi_migration_ga: Some(m(25)), removed_in: m(27), note: "CSIMigrationAWS on by default from 1.23, GA 1.25; removed with the AWS cloud provider in 1.27 (PR #115838): from then on in-tree PVs and StorageClasses work only through migration, with the EBS CSI driver installed", source: "kubernetes/website content/en/docs/reference/storage/volume-types.md (Removed volume types); feature-gates/CSIMigrationAWS.md; kubernetes/kubernetes staging/src/k8s.io/csi-translation-lib/plugins/aws_ebs.go; volumes.md (v1.30 era); k/k PR #115838" },
    InTreePlugin { provisioner: Some("kubernetes.io/azure-disk"), volume_source_field: "azureDisk", csi_driver: Some("disk.csi.azure.com"), csi_migration_ga: Some(m(24)), removed_in: m(27), note: "CSIMigrationAzureDisk on by default from 1.23, GA 1.24; removed 1.27 (PR #116301)", source: "kubernetes/website content/en/docs/reference/storage/volume-types.md (Removed volume types); feature-gates/CSIMigrationAzureDisk.md; kubernetes/kubernetes staging/src/k8s.io/csi-translation-lib/plugins/azure_disk.go; volumes.md (v1.30 era); k/k PR #116301" },
    InTreePlugin { provisioner: Some("kubernetes.io/gce-pd"), volume_source_field: "gcePersistentDisk", csi_driver: Some("pd.csi.storage.gke.io"), csi_migration_ga: Some(m(25)), removed_in: m(28), note: "CSIMigrationGCE on by default from 1.23, GA 1.25; removed 1.28 (PR #117055): redirected to the PD CSI driver, which must be installed", source: "kubernetes/website content/en/docs/reference/storage/volume-types.md (Removed volume types); feature-gates/CSIMigrationGCE.md; kubernetes/kubernetes staging/src/k8s.io/csi-translation-lib/plugins/gce_pd.go; volumes.md (v1.30 era); k/k PR #117055" },
    InTreePlugin { provisioner: Some("kubernetes.io/azure-file"), volume_source_field: "azureFile", csi_driver: Some("file.csi.azure.com"), csi_migration_ga: Some(m(26)), removed_in: m(30), note: "CSIMigrationAzureFile on by default from 1.24, GA 1.26; removal merged for 1.28, reverted, done in 1.30 (PR #122576)", source: "kubernetes/website content/en/docs/reference/storage/volume-types.md (Removed volume types); feature-gates/CSIMigrationAzureFile.md; kubernetes/kubernetes staging/src/k8s.io/csi-translation-lib/plugins/azure_file.go; volumes.md (v1.30 era); k/k PR #122576 (#118236 reverted by #118388)" },
    InTreePlugin { provisioner: Some("kubernetes.io/vsphere-volume"), volume_source_field: "vsphereVolume", csi_driver: Some("csi.vsphere.vmware.com"), csi_migration_ga: Some(m(26)), removed_in: m(30), note: "CSIMigrationvSphere on by default from 1.25, GA 1.26; removed 1.30 with the vSphere cloud provider (PR #122090). Migration needs vSphere 7.0u2 or later; the CSI driver ignores some in-tree StorageClass parameters (diskformat, hostfailurestotolerate, forceprovisioning, cachereservation, diskstripes, objectspacereservation, iopslimit)", source: "kubernetes/website content/en/docs/reference/storage/volume-types.md (Removed volume types); feature-gates/CSIMigrationvSphere.md; kubernetes/kubernetes staging/src/k8s.io/csi-translation-lib/plugins/vsphere_volume.go; volumes.md (v1.30 era); k/k PR #122090" },
    InTreePlugin { provisioner: None, volume_source_field: "cephfs", csi_driver: Some("cephfs.csi.ceph.com"), csi_migration_ga: None, removed_in: m(31), note: "never had an in-tree provisioner; deprecated 1.28, removed 1.31 (PR #124544) without a shipped CSI migration: cephfs volumes stop working, redeploy them on Ceph CSI", source: "kubernetes/website content/en/docs/reference/storage/volume-types.md (Removed volume types); volumes.md (v1.30 era); k/k PR #124544; storage-classes.md; kubernetes/kubernetes staging/src/k8s.io/csi-translation-lib/plugins/cephfs.go" },
    InTreePlugin { provisioner: Some("kubernetes.io/rbd"), volume_source_field: "rbd", csi_driver: Some("rbd.csi.ceph.com"), csi_migration_ga: None, removed_in: m(31), note: "CSIMigrationRBD never left alpha; deprecated 1.28, removed 1.31 with its migration code (PR #124546): rbd volumes stop working, redeploy them on Ceph CSI (rbd.csi.ceph.com); nothing is translated", source: "kubernetes/website content/en/docs/reference/storage/volume-types.md (Removed volume types); feature-gates/CSIMigrationRBD.md; kubernetes/kubernetes staging/src/k8s.io/csi-translation-lib/plugins/rbd.go; volumes.md (v1.30 era); k/k PR #124546" },
    InTreePlugin { provisioner: None, volume_source_field: "gitRepo", csi_driver: None, csi_migration_ga: None, removed_in: m(36), note: "deprecated since 1.11, disabled by default from 1.33 (GitRepoVolumeDriver gate), 1.35 is the last release that can turn it back on; use an emptyDir and an init container that clones the repository", source: "kubernetes/website content/en/docs/reference/storage/volume-types.md (gitRepo (disabled)); feature-gates/GitRepoVolumeDriver.md" },
    InTreePlugin { provisioner: Some("kubernetes.io/portworx-volume"), volume_source_field: "portworxVolume", csi_driver: Some("pxd.portworx.com"), csi_migration_ga: Some(m(33)), removed_in: m(36), note: "CSIMigrationPortworx was off by default until 1.31 and GA in 1.33; removed 1.36 (PR #135322), the last in-tree volume plugin removed: redirected to pxd.portworx.com, which must be installed", source: "kubernetes/website content/en/docs/reference/storage/volume-types.md (Removed volume types); feature-gates/CSIMigrationPortworx.md; kubernetes/kubernetes staging/src/k8s.io/csi-translation-lib/plugins/portworx.go; k/k PR #135322; kubernetes/website PR #54063" },
];

/// gitRepo volumes stop working by default from this release: the GitRepoVolumeDriver feature
/// gate is deprecated and off, and can turn them back on until their removal in 1.36.
/// Source: kubernetes/website feature-gates/GitRepoVolumeDriver.md; volume-types.md
/// (gitRepo (disabled)).
pub const GIT_REPO_DISABLED_BY_DEFAULT: Minor = m(33);

/// Images that run the replacement CSI drivers (controller or node plugin).
#[rustfmt::skip]
pub const CSI_DRIVER_IMAGES: &[CsiDriverImage] = &[
    CsiDriverImage { driver: "ebs.csi.aws.com", repository_suffix: "aws-ebs-csi-driver", source: "kubernetes-sigs/aws-ebs-csi-driver charts/aws-ebs-csi-driver/values.yaml (public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver)" },
    CsiDriverImage { driver: "pd.csi.storage.gke.io", repository_suffix: "gcp-compute-persistent-disk-csi-driver", source: "kubernetes-sigs/gcp-compute-persistent-disk-csi-driver deploy/kubernetes/images/stable-master/image.yaml" },
    CsiDriverImage { driver: "disk.csi.azure.com", repository_suffix: "kubernetes-csi/azuredisk-csi", source: "kubernetes-sigs/azuredisk-csi-driver charts README (image.azuredisk.repository /oss/kubernetes-csi/azuredisk-csi)" },
    CsiDriverImage { driver: "file.csi.azure.com", repository_suffix: "kubernetes-csi/azurefile-csi", source: "kubernetes-sigs/azurefile-csi-driver charts README (image.azurefile.repository /oss/kubernetes-csi/azurefile-csi)" },
    CsiDriverImage { driver: "cinder.csi.openstack.org", repository_suffix: "cinder-csi-plugin", source: "kubernetes/cloud-provider-openstack manifests (registry.k8s.io/provider-os/cinder-csi-plugin)" },
    CsiDriverImage { driver: "csi.vsphere.vmware.com", repository_suffix: "cloud-provider-vsphere/csi/release/driver", source: "kubernetes-sigs/vsphere-csi-driver manifests/vanilla/vsphere-csi-driver.yaml" },
    CsiDriverImage { driver: "csi.vsphere.vmware.com", repository_suffix: "csi-vsphere/driver", source: "kubernetes-sigs/vsphere-csi-driver (registry.k8s.io/csi-vsphere/driver)" },
];

/// The plugin whose in-tree dynamic provisioner is `provisioner` (`kubernetes.io/aws-ebs`).
pub fn by_provisioner(provisioner: &str) -> Option<&'static InTreePlugin> {
    INTREE_PLUGINS.iter().find(|p| p.provisioner == Some(provisioner))
}

/// The plugin behind a volume source field (`awsElasticBlockStore`).
pub fn by_volume_source(field: &str) -> Option<&'static InTreePlugin> {
    INTREE_PLUGINS.iter().find(|p| p.volume_source_field == field)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn sorted_unique_and_sourced() {
        for pair in INTREE_PLUGINS.windows(2) {
            let key = |p: &InTreePlugin| (p.removed_in, p.volume_source_field);
            assert!(key(&pair[0]) < key(&pair[1]), "not sorted at {:?}", pair[1]);
        }
        let mut fields = HashSet::new();
        let mut provisioners = HashSet::new();
        for p in INTREE_PLUGINS {
            assert!(fields.insert(p.volume_source_field), "duplicate {p:?}");
            if let Some(name) = p.provisioner {
                assert!(provisioners.insert(name), "duplicate {p:?}");
                assert!(name.starts_with("kubernetes.io/"), "{p:?}");
            }
            assert!(p.source.starts_with(VT), "{p:?}");
            assert!(!p.note.is_empty(), "{p:?}");
            assert!(p.removed_in <= crate::NEWEST_KNOWN_MINOR, "{p:?}");
        }
    }

    #[test]
    fn migration_needs_a_driver_and_comes_before_removal() {
        for p in INTREE_PLUGINS {
            if let Some(ga) = p.csi_migration_ga {
                assert!(p.csi_driver.is_some(), "migration without a driver: {p:?}");
                assert!(ga < p.removed_in, "{p:?}");
            }
        }
        for image in CSI_DRIVER_IMAGES {
            assert!(
                INTREE_PLUGINS.iter().any(|p| p.csi_driver == Some(image.driver)),
                "{image:?}"
            );
            assert!(!image.source.is_empty() && !image.repository_suffix.contains(':'));
        }
    }

    #[test]
    fn well_known_rows() {
        let ebs = by_provisioner("kubernetes.io/aws-ebs").unwrap();
        assert_eq!(ebs.volume_source_field, "awsElasticBlockStore");
        assert_eq!(ebs.csi_driver, Some("ebs.csi.aws.com"));
        assert_eq!((ebs.csi_migration_ga, ebs.removed_in), (Some(m(25)), m(27)));
        assert_eq!(by_volume_source("gcePersistentDisk").unwrap().removed_in, m(28));
        let rbd = by_volume_source("rbd").unwrap();
        assert_eq!((rbd.csi_migration_ga, rbd.removed_in), (None, m(31)));
        assert_eq!(by_volume_source("cephfs").unwrap().provisioner, None);
        assert!(by_provisioner("ebs.csi.aws.com").is_none());
        assert!(by_volume_source("csi").is_none());
        assert!(GIT_REPO_DISABLED_BY_DEFAULT < by_volume_source("gitRepo").unwrap().removed_in);
    }
}
