; Inno Setup script for Keyworker on Windows: a per-user install (no administrator rights), a
; Start menu entry, and an uninstaller that keeps the user's encrypted caseload unless asked.
;
; Build the bundle first (on Windows, from the project root):
;     py -m venv .venv && .venv\Scripts\pip install -e .[dev]
;     .venv\Scripts\pyinstaller --noconfirm --clean --distpath dist --workpath build\pyinstaller packaging\keyworker.spec
; then the installer (Inno Setup 6):
;     iscc packaging\windows\keyworker.iss                 -> dist\keyworker-0.1.0-setup.exe
;     iscc /DAppVersion=0.2.0 packaging\windows\keyworker.iss
;
; IT, silently:   keyworker-0.1.0-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART
; Uninstall:      "%LOCALAPPDATA%\Programs\Keyworker\unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES
;                 (keeps the caseload; add /DELETEDATA to remove it as well)

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{6F1D2C1E-5B7A-4E0C-9C55-2E8B4B7D2A31}
AppName=Keyworker
AppVersion={#AppVersion}
AppVerName=Keyworker {#AppVersion}
AppPublisher=Keyworker team
VersionInfoVersion={#AppVersion}
; Per user: installs into the user's own Programs folder, never asks for elevation (no
; PrivilegesRequiredOverridesAllowed: an all-users install would put the program under the
; administrator's profile).
PrivilegesRequired=lowest
DefaultDirName={localappdata}\Programs\Keyworker
DisableProgramGroupPage=yes
DisableDirPage=auto
UninstallDisplayName=Keyworker
UninstallDisplayIcon={app}\Keyworker.exe
OutputDir=..\..\dist
OutputBaseFilename=keyworker-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; The app must not be running while its files are replaced (Windows Restart Manager).
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\..\dist\Keyworker\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{userprograms}\Keyworker"; Filename: "{app}\Keyworker.exe"; Comment: "Encrypted, offline-first caseload"
Name: "{userdesktop}\Keyworker"; Filename: "{app}\Keyworker.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\Keyworker.exe"; Description: "{cm:LaunchProgram,Keyworker}"; Flags: nowait postinstall skipifsilent

[Code]
{ The caseload lives in %LOCALAPPDATA%\Keyworker (platformdirs' user data folder), never in the
  program folder ({localappdata}\Programs\Keyworker), so removing the program leaves it alone.
  It is encrypted; deleting it loses every record not yet synced to the central store. }

function DataFolder(): String;
begin
  Result := ExpandConstant('{localappdata}\Keyworker');
end;

{ The synthetic demo caseload (keyworker --demo) has a folder of its own; it holds no real data
  and goes with the real caseload when the user chooses to delete that. }
function DemoFolder(): String;
begin
  Result := ExpandConstant('{localappdata}\Keyworker Demo');
end;

function DeleteDataAsked(): Boolean;
begin
  Result := Pos('/DELETEDATA', Uppercase(GetCmdTail())) > 0;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Remove: Boolean;
begin
  if (CurUninstallStep = usPostUninstall) and DirExists(DataFolder()) then
  begin
    if UninstallSilent() then
      Remove := DeleteDataAsked()
    else
      Remove := MsgBox('Keyworker has been removed.' #13#10#13#10 +
        'Your encrypted caseload is still in ' + DataFolder() + '.' #13#10 +
        'Delete it as well? Anything not yet synced to the central store will be lost.' #13#10#13#10 +
        'Choose No to keep it (for example, to reinstall Keyworker later).',
        mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES;
    if Remove then
    begin
      DelTree(DataFolder(), True, True, True);
      if DirExists(DemoFolder()) then
        DelTree(DemoFolder(), True, True, True);
    end;
  end;
end;
