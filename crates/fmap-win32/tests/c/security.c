/* Security descriptors as fmap expresses them: a descriptor in SECURITY_ATTRIBUTES sets who
   besides the creator may use a new object, visible in the object file's mode. Argument 1:
   the namespace root ($FMAP_ROOT). */
#include "check.h"
#include <aclapi.h>
#include <sddl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static char root[512];

/* The mode bits of the object file of Global\<name> (found by scanning fmap-global). */
static unsigned mode_of(const char *name)
{
    HANDLE h = OpenFileMappingA(FILE_MAP_READ, FALSE, name);
    (void)h;
    /* The object file name is a hash; find the newest file in the directory instead: each
       check creates one object and closes it before the next. */
    char cmd[700];
    snprintf(cmd, sizeof cmd, "stat -c %%a \"$(ls -t %s/fmap-global/* | head -n 1)\"", root);
    FILE *p = popen(cmd, "r");
    unsigned m = 0;
    if (p) {
        if (fscanf(p, "%o", &m) != 1)
            m = 0;
        pclose(p);
    }
    if (h)
        CloseHandle(h);
    return m;
}

static HANDLE section_with(SECURITY_ATTRIBUTES *sa, const char *name)
{
    return CreateFileMappingA(INVALID_HANDLE_VALUE, sa, PAGE_READWRITE, 0, 4096, name);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    snprintf(root, sizeof root, "%s", argv[1]);
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, FALSE};
    SECURITY_DESCRIPTOR sd;

    /* A NULL DACL: everyone, i.e. what the Global\ directory allows (0666 there). */
    CHECK(InitializeSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION));
    CHECK(SetSecurityDescriptorDacl(&sd, TRUE, NULL, FALSE));
    sa.lpSecurityDescriptor = &sd;
    HANDLE a = section_with(&sa, "Global\\sd-null");
    CHECK(a != NULL);
    unsigned world = mode_of("Global\\sd-null");
    CHECK(world == 0666);
    CloseHandle(a);

    /* An empty DACL (nobody but the owner): private, 0600. */
    BYTE aclbuf[256];
    PACL acl = (PACL)aclbuf;
    CHECK(InitializeAcl(acl, sizeof aclbuf, ACL_REVISION));
    CHECK(SetSecurityDescriptorDacl(&sd, TRUE, acl, FALSE));
    HANDLE b = section_with(&sa, "Global\\sd-empty");
    CHECK(b != NULL);
    CHECK(mode_of("Global\\sd-empty") == 0600);
    /* The creator still maps it for writing. */
    char *v = (char *)MapViewOfFile(b, FILE_MAP_WRITE, 0, 0, 0);
    CHECK(v != NULL);
    if (v) {
        strcpy(v, "mine");
        UnmapViewOfFile(v);
    }
    CloseHandle(b);

    /* Everyone: read only (sections) -> 0644; everyone GENERIC_ALL -> 0666. */
    SID_IDENTIFIER_AUTHORITY world_auth = SECURITY_WORLD_SID_AUTHORITY;
    PSID everyone = NULL;
    CHECK(AllocateAndInitializeSid(&world_auth, 1, SECURITY_WORLD_RID, 0, 0, 0, 0, 0, 0, 0, &everyone));
    CHECK(GetLengthSid(everyone) == 12);
    CHECK(InitializeAcl(acl, sizeof aclbuf, ACL_REVISION));
    CHECK(AddAccessAllowedAce(acl, ACL_REVISION, FILE_MAP_READ, everyone));
    HANDLE c = section_with(&sa, "Global\\sd-read");
    CHECK(c != NULL && mode_of("Global\\sd-read") == 0644);
    CloseHandle(c);
    CHECK(InitializeAcl(acl, sizeof aclbuf, ACL_REVISION));
    CHECK(AddAccessAllowedAce(acl, ACL_REVISION, GENERIC_ALL, everyone));
    HANDLE d = section_with(&sa, "Global\\sd-all");
    CHECK(d != NULL && mode_of("Global\\sd-all") == 0666);
    CloseHandle(d);
    /* A sync object cannot be shared read-only: a clear error, not weaker protection. */
    CHECK(InitializeAcl(acl, sizeof aclbuf, ACL_REVISION));
    CHECK(AddAccessAllowedAce(acl, ACL_REVISION, SYNCHRONIZE, everyone));
    CHECK_FAILS(CreateEventA(&sa, TRUE, FALSE, "Global\\sd-ev"), NULL, ERROR_NOT_SUPPORTED);
    /* ... but private works, and a mutex with MUTEX_ALL_ACCESS for everyone is shared. */
    CHECK(InitializeAcl(acl, sizeof aclbuf, ACL_REVISION));
    HANDLE e = CreateEventA(&sa, TRUE, FALSE, "Global\\sd-ev");
    CHECK(e != NULL && mode_of("Global\\sd-ev") == 0600);
    CloseHandle(e);
    CHECK(AddAccessAllowedAce(acl, ACL_REVISION, MUTEX_ALL_ACCESS, everyone));
    HANDLE m = CreateMutexA(&sa, FALSE, "Global\\sd-mx");
    CHECK(m != NULL && mode_of("Global\\sd-mx") == 0666);
    CloseHandle(m);
    /* A world deny wins. */
    CHECK(AddAccessDeniedAce(acl, ACL_REVISION, GENERIC_ALL, everyone));
    HANDLE f = CreateMutexA(&sa, FALSE, "Global\\sd-deny");
    CHECK(f != NULL && mode_of("Global\\sd-deny") == 0600);
    CloseHandle(f);
    FreeSid(everyone);

    /* SDDL strings. */
    PSECURITY_DESCRIPTOR psd = NULL;
    ULONG size = 0;
    CHECK(ConvertStringSecurityDescriptorToSecurityDescriptorA("D:(A;;GA;;;WD)", SDDL_REVISION_1, &psd, &size));
    CHECK(psd != NULL && size >= SECURITY_DESCRIPTOR_MIN_LENGTH);
    sa.lpSecurityDescriptor = psd;
    HANDLE g = section_with(&sa, "Global\\sddl-world");
    CHECK(g != NULL && mode_of("Global\\sddl-world") == 0666);
    CloseHandle(g);
    LocalFree(psd);
    CHECK(ConvertStringSecurityDescriptorToSecurityDescriptorA("D:P(A;OICI;GA;;;SY)(A;OICI;GA;;;BA)", SDDL_REVISION_1,
                                                               &psd, NULL));
    sa.lpSecurityDescriptor = psd;
    HANDLE h = section_with(&sa, "Global\\sddl-admins");
    CHECK(h != NULL && mode_of("Global\\sddl-admins") == 0600);
    CloseHandle(h);
    LocalFree(psd);
    CHECK(ConvertStringSecurityDescriptorToSecurityDescriptorA("D:(A;;GRGW;;;AU)", SDDL_REVISION_1, &psd, NULL));
    LocalFree(psd);
    CHECK_FAILS(ConvertStringSecurityDescriptorToSecurityDescriptorA("D:(X;;GA;;;WD)", SDDL_REVISION_1, &psd, NULL),
                FALSE, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(ConvertStringSecurityDescriptorToSecurityDescriptorA("D:(A;;GA;;;WD)", 2, &psd, NULL), FALSE,
                ERROR_UNKNOWN_REVISION);

    /* SetEntriesInAcl: Everyone by name. */
    EXPLICIT_ACCESS_A ea;
    memset(&ea, 0, sizeof ea);
    ea.grfAccessPermissions = GENERIC_READ | GENERIC_WRITE;
    ea.grfAccessMode = SET_ACCESS;
    ea.grfInheritance = NO_INHERITANCE;
    ea.Trustee.TrusteeForm = TRUSTEE_IS_NAME;
    ea.Trustee.TrusteeType = TRUSTEE_IS_WELL_KNOWN_GROUP;
    ea.Trustee.ptstrName = (LPSTR) "EVERYONE";
    PACL newacl = NULL;
    CHECK(SetEntriesInAclA(1, &ea, NULL, &newacl) == ERROR_SUCCESS && newacl != NULL);
    CHECK(InitializeSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION));
    CHECK(SetSecurityDescriptorDacl(&sd, TRUE, newacl, FALSE));
    sa.lpSecurityDescriptor = &sd;
    HANDLE k = section_with(&sa, "Global\\acl-everyone");
    CHECK(k != NULL && mode_of("Global\\acl-everyone") == 0666);
    CloseHandle(k);
    LocalFree(newacl);
    ea.Trustee.ptstrName = (LPSTR) "NO SUCH GROUP";
    CHECK(SetEntriesInAclA(1, &ea, NULL, &newacl) == ERROR_NONE_MAPPED);

    /* Errors. */
    CHECK_FAILS(InitializeSecurityDescriptor(&sd, 2), FALSE, ERROR_UNKNOWN_REVISION);
    CHECK_FAILS(InitializeAcl(acl, 4, ACL_REVISION), FALSE, ERROR_INSUFFICIENT_BUFFER);
    return checks_done("security");
}
